// The errors both NAS stores raise where SQL raised a constraint violation, so the services see the same
// thing on SQLite and on KV: a taken unique value is the port's named conflict, a missing parent is the
// NAS error the service raises itself when it finds the parent gone.

import { StoreError } from '@homeport/core';
import { NasError } from '../../errors.js';
import type { ExportInput } from './repositories.js';

/** A unique value (machine id, export path or mount path on a node, credential id) is already held. */
export const uniquenessConflict = (field: string, message: string, cause?: unknown): StoreError =>
  new StoreError('store_conflict', message, {
    details: { field },
    ...(cause === undefined ? {} : { cause }),
  });

export const nodeMissing = (nodeId: string, cause?: unknown): NasError =>
  new NasError('node_not_found', `No node "${nodeId}"`, cause === undefined ? {} : { cause });

export const exportMissing = (exportId: string, cause?: unknown): NasError =>
  new NasError('export_not_found', `No export "${exportId}"`, cause === undefined ? {} : { cause });

/** better-sqlite3's SqliteError carries the extended result code in `code`. */
export const sqliteCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A UNIQUE or PRIMARY KEY violation. */
export const isSqliteUniqueViolation = (error: unknown): boolean =>
  sqliteCode(error) === 'SQLITE_CONSTRAINT_UNIQUE' || sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY';

export const isSqliteForeignKeyViolation = (error: unknown): boolean =>
  sqliteCode(error) === 'SQLITE_CONSTRAINT_FOREIGNKEY';

/**
 * An inventory lists each path and each mount path once. Checked before writing, by both stores: SQLite's
 * unique indexes alone would let two inputs with the same existing path merge into one export.
 */
export function requireUniqueInventory(nodeId: string, inputs: readonly ExportInput[]): void {
  // The mount path first, as SQLite reports it first when a row breaks both.
  for (const field of ['mountPath', 'path'] as const) {
    const values = inputs.map((input) => input[field]);
    if (new Set(values).size !== values.length)
      throw uniquenessConflict(field, `Node ${nodeId}'s inventory lists one ${field} twice`);
  }
}
