// A copy of Homeport's database taken with SQLite's online backup before the importer writes to it.

import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDatabase } from '@homeport/core';
import Database from 'better-sqlite3';

/** `20260102T030405Z`: sorts by time and holds no character a file system or shell minds. */
const stamp = (at: number) => new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

/**
 * Creates `<folder>/backups/<prefix>-<UTC timestamp>.db` empty and owner-only (folder 0700, file 0600: a
 * backup holds password hashes and token digests) and returns its path, for SQLite to write the copy into —
 * it is never readable by others, not even for a moment. A second one in the same second gets `-1`, ….
 */
export function reserveBackupFile(folder: string, prefix: string, at: number): string {
  const dir = join(folder, 'backups');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode passes through the umask, and an existing folder keeps its own
  for (let attempt = 0; ; attempt += 1) {
    const file = join(dir, `${prefix}-${stamp(at)}${attempt === 0 ? '' : `-${attempt}`}.db`);
    try {
      // An empty file is a valid empty database, and VACUUM INTO accepts one.
      closeSync(openSync(file, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    chmodSync(file, 0o600);
    return file;
  }
}

/**
 * Backs `db` up with SQLite's online backup into a file from reserveBackupFile (`<dataDir>/backups/`) and
 * returns the file's path.
 */
export async function backupDatabase(
  db: SqliteDatabase,
  dataDir: string,
  prefix: string,
  at: number,
): Promise<string> {
  const file = reserveBackupFile(dataDir, prefix, at);
  await db.backup(file);
  // The copy carries the source's WAL mode; one self-contained file is what a backup should be, and a
  // WAL file opened later (even read-only) grows -wal and -shm companions beside it.
  const copy = new Database(file);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return file;
}
