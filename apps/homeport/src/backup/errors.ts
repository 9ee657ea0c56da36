// The closed set of errors `homeport backup` raises; the CLI prints the message in one line and exits 1.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  /** No homeport.db in the data dir. */
  no_database: 'bad_request',
  /** The KV store: its buckets are backed up with NATS's stream backups (docs/cluster.md). */
  kv_store: 'bad_request',
  /** --to names a file that exists. */
  archive_exists: 'conflict',
  archive_missing: 'not_found',
  /** Not a gzip'd tar, not ours, or a manifest this version does not read. */
  archive_invalid: 'unprocessable',
  /** A file missing, extra, or not matching its checksum; the database failing its integrity check. */
  archive_damaged: 'unprocessable',
  /** The data dir already holds a Homeport and --force was not given. */
  target_not_empty: 'conflict',
  /** A process has the data dir's database open. */
  target_in_use: 'conflict',
} as const satisfies Record<string, ErrorKind>;

export class BackupError extends errorClass(KINDS) {}
