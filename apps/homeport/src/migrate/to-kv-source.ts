// The SQLite side of `homeport migrate to-kv`: the database opened read-only (the copy never changes it),
// after checking it is a Homeport database whose every module is at this version's schema.

import { statSync } from 'node:fs';
import type { Migration, SqliteDatabase } from '@homeport/core';
import Database from 'better-sqlite3';
import { MigrateError } from './errors.js';

/** A module of this Homeport and the schema versions it expects. */
export interface ModuleSchema {
  name: string;
  migrations: readonly Migration[];
}

export interface SqliteSource {
  file: string;
  db: SqliteDatabase;
  /** The modules whose tables exist (a module that never ran has none, and nothing to copy). */
  modules: string[];
  close(): void;
}

function applied(db: SqliteDatabase, module: string): number[] {
  // The stored versions: one INTEGER column per row.
  return db
    .prepare('SELECT version FROM schema_migrations WHERE module = ? ORDER BY version')
    .pluck()
    .all(module) as number[];
}

/** Why `module`'s schema in the database is not the one this Homeport reads, or undefined. */
function schemaProblem(db: SqliteDatabase, schema: ModuleSchema, file: string): string | undefined {
  const have = applied(db, schema.name);
  const want = schema.migrations.map((migration) => migration.version);
  const newer = have.filter((version) => !want.includes(version));
  if (newer.length > 0)
    return `${file}: module ${schema.name} is at schema version ${Math.max(...newer)}, made by a newer Homeport than this one; run the migration with that version`;
  const missing = want.filter((version) => !have.includes(version));
  if (have.length > 0 && missing.length > 0)
    return `${file}: module ${schema.name} is at an older schema (missing version ${missing.join(', ')}); start this Homeport version on it once (it upgrades the database), stop it, then run this again`;
  return undefined;
}

/**
 * Opens `file` read-only and checks its schema against `schemas` (every module of this Homeport). Throws
 * MigrateError: `database_missing`, or `database_schema` for a file that is not SQLite, not Homeport's, or
 * at another version's schema.
 */
export function openSqliteSource(file: string, schemas: readonly ModuleSchema[]): SqliteSource {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    throw new MigrateError('database_missing', `database ${file} not found`, { cause: error });
  }
  if (!isFile) throw new MigrateError('database_missing', `database ${file} is not a file`);
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new MigrateError('database_schema', `cannot open ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    let tracked: boolean;
    try {
      tracked =
        db
          .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
          .get() !== undefined;
    } catch (error) {
      // SQLite reads the header only at the first statement; a file that is not a database fails here.
      throw new MigrateError(
        'database_schema',
        `${file} is not a SQLite database (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    if (!tracked || applied(db, 'accounts').length === 0)
      throw new MigrateError(
        'database_schema',
        `${file} is not a Homeport database (no accounts schema in it)`,
      );
    const problems = schemas.flatMap((schema) => schemaProblem(db, schema, file) ?? []);
    if (problems.length > 0) throw new MigrateError('database_schema', problems.join('; '));
    const modules = schemas
      .filter((schema) => applied(db, schema.name).length > 0)
      .map((schema) => schema.name);
    return { file, db, modules, close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Runs `read` inside one read transaction, so every table is read as of one moment even if a server left
 * running writes meanwhile (WAL readers keep their snapshot). The stores' calls are async but better-sqlite3
 * runs them synchronously on this connection, which does nothing else meanwhile.
 */
export async function readConsistently<T>(db: SqliteDatabase, read: () => Promise<T>): Promise<T> {
  db.exec('BEGIN');
  try {
    return await read();
  } finally {
    db.exec('COMMIT');
  }
}
