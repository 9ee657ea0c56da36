// SQLite driver: one better-sqlite3 connection per process, tuned for a small server, plus module migrations.

import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CoreError } from '../errors.js';

export type SqliteDatabase = Database.Database;

/** One numbered schema change of a module; applied once, in order, inside a transaction. */
export interface Migration {
  version: number;
  name: string;
  /** SQL text, or a function for changes SQL alone cannot express. */
  up: string | ((db: SqliteDatabase) => void);
}

/** Files of one SQLite database in WAL mode; the -wal file holds recent writes (password hashes too). */
const DATABASE_FILES = ['', '-wal', '-shm'];

/**
 * Makes the database's files owner-only (0600), whatever the umask. SQLite creates -wal and -shm with the
 * mode of the database file, so creating that one 0600 first covers the others; files an older version
 * left readable are tightened too.
 */
function restrictDatabaseFiles(file: string): void {
  for (const suffix of DATABASE_FILES) {
    try {
      chmodSync(`${file}${suffix}`, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: not created yet. EPERM: someone else's file we can still write; the data-dir warning says it.
      if (code !== 'ENOENT' && code !== 'EPERM') throw error;
    }
  }
}

/**
 * Opens (creating if needed) the database: WAL so readers never wait for the writer, foreign keys on,
 * a busy timeout so a CLI command and the server can share the file. Its files are created 0600.
 */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Created empty and owner-only before SQLite opens it (an empty file is a valid new database).
    closeSync(openSync(file, 'a', 0o600));
    restrictDatabaseFiles(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (file !== ':memory:') restrictDatabaseFiles(file);
  return db;
}

/**
 * The permission bits of `dir` when users other than its owner may read or enter it (e.g. `0o755`), else
 * undefined. Start-up warns about such a data dir: the database and secrets are owner-only, but file names
 * and anything else put there are not.
 */
export function exposedDirMode(dir: string): number | undefined {
  const mode = statSync(dir).mode & 0o777;
  return (mode & 0o077) === 0 ? undefined : mode;
}

/**
 * Applies a module's pending migrations and records each in `schema_migrations`. Returns how many ran.
 * Throws CoreError `database_newer` (and changes nothing) when the database records a migration of this
 * module newer than every one this binary knows: a newer Homeport wrote it, and an older binary must not
 * run on a schema it does not understand (docs/operations.md, "Rolling back").
 */
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
  const known = Math.max(0, ...versions);
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    const name = db
      .prepare('SELECT name FROM schema_migrations WHERE module = ? AND version = ?')
      .pluck()
      .get(module, newest) as string; // the row the version came from
    throw new CoreError(
      'database_newer',
      `The database was written by a newer Homeport: its ${module} schema is at version ${newest} ("${name}"), this binary knows up to ${known}. Run the newer version, or restore the backup taken before the upgrade (docs/operations.md, "Rolling back").`,
    );
  }
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
