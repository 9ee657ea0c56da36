// The closed set of errors `homeport migrate` raises; the CLI prints the message and exits non-zero.

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
} as const satisfies Record<string, ErrorKind>;

export type MigrateErrorCode = keyof typeof KINDS;

export class MigrateError extends errorClass(KINDS) {}
