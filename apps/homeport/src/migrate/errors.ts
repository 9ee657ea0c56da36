// The closed set of errors `homeport migrate` (from-betternas, to-kv) raises; the CLI prints the message and
// exits non-zero.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  /** The betterNAS database file is not there, or is not a file. */
  source_missing: 'bad_request',
  /** The file exists but SQLite cannot read it as a database. */
  source_not_sqlite: 'bad_request',
  /** A table or column the importer reads is missing from the betterNAS database. */
  source_schema: 'unprocessable',
  /** No Homeport database in the data dir: Homeport has not been started there yet. */
  target_missing: 'bad_request',
  /** The NAS module is turned off, so nodes and exports have nowhere to go. */
  target_without_nas: 'bad_request',
  /** `--admin` names a user this run does not import. */
  admin_not_imported: 'bad_request',
  /** to-kv: the SQLite database given is not there, or is not a file. */
  database_missing: 'bad_request',
  /** to-kv: the file is not a Homeport database of this version's schema (older, newer, or not Homeport's). */
  database_schema: 'unprocessable',
  /** to-kv: a module keeps records in the database that the command has no copier for. */
  module_not_copied: 'unprocessable',
  /** to-kv: no secret key (HOMEPORT_SECRET_KEY or --secret-key-file), or one that is too short. */
  secret_key_missing: 'bad_request',
  /** to-kv: the KV store asked for is unsafe on this NATS server (replicas on a server before 2.9.21). */
  kv_unsafe: 'bad_request',
  /** to-kv: after the copy, the two stores do not hold the same records. */
  parity_failed: 'conflict',
} as const satisfies Record<string, ErrorKind>;

export type MigrateErrorCode = keyof typeof KINDS;

export class MigrateError extends errorClass(KINDS) {}
