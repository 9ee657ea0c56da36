// SQLite constraint failures turned into the contract's named errors (repositories.ts).

import { StoreError } from '@homeport/core';

/**
 * A duplicate primary key or unique column becomes StoreError('store_conflict'), as the KV store raises it;
 * any other error is returned unchanged. better-sqlite3's SqliteError carries the extended result code.
 */
export function duplicateKey(error: unknown, what: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreError('store_conflict', `${what} exists already`, { cause: error });
  }
  return error;
}
