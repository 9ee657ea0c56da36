// SQLite driver: one better-sqlite3 connection per process, tuned for a small server, plus module migrations.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/** One numbered schema change of a module; applied once, in order, inside a transaction. */
export interface Migration {
  version: number;
  name: string;
  /** SQL text, or a function for changes SQL alone cannot express. */
  up: string | ((db: SqliteDatabase) => void);
}

/**
 * Opens (creating if needed) the database: WAL so readers never wait for the writer, foreign keys on,
 * a busy timeout so a CLI command and the server can share the file.
 */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Applies a module's pending migrations and records each in `schema_migrations`. Returns how many ran. */
export function applyMigrations(
  db: SqliteDatabase,
  module: string,
  migrations: readonly Migration[],
): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (module, version)
  )`);
  const versions = migrations.map((migration) => migration.version);
  if (new Set(versions).size !== versions.length) throw new Error(`${module}: duplicate migration versions`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations WHERE module = ?').pluck().all(module) as number[], // pluck() returns the single INTEGER column
  );
  const record = db.prepare(
    'INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)',
  );
  let count = 0;
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      if (typeof migration.up === 'string') db.exec(migration.up);
      else migration.up(db);
      record.run(module, migration.version, migration.name, new Date().toISOString());
    })();
    count += 1;
  }
  return count;
}
