// The closed set of errors `homeport backup` raises; the CLI prints the message in one line and exits 1.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  /** No homeport.db in the data dir. */
  no_database: 'bad_request',
  /** The archive is of the other store (SQLite vs NATS KV) than the one this Homeport is set to. */
  store_mismatch: 'conflict',
  /** The archive's KV records are at a format this binary does not know. */
  archive_newer: 'conflict',
  /** HOMEPORT_STORE=kv without HOMEPORT_SECRET_KEY. */
  secret_key_missing: 'bad_request',
  /** HOMEPORT_STORE=kv and no NATS to reach. */
  store_unavailable: 'unavailable',
  /** HOMEPORT_SECRET_KEY differs from the one the KV backup was taken with. */
  secret_key_mismatch: 'conflict',
  /** --to names a file that exists. */
  archive_exists: 'conflict',
  archive_missing: 'not_found',
  /** Not a gzip'd tar, not ours, or a manifest this version does not read. */
  archive_invalid: 'unprocessable',
  /** A file missing, extra, or not matching its checksum; the database failing its integrity check. */
  archive_damaged: 'unprocessable',
  /** The data dir already holds a Homeport and --force was not given. */
  target_not_empty: 'conflict',
  /** A process has the data dir's database open, or a replica runs on the KV store. */
  target_in_use: 'conflict',
  /** A KV restore failed after it began writing; the store's earlier state is in an archive. */
  restore_incomplete: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export class BackupError extends errorClass(KINDS) {}
