// The copy of the SQLite database `homeport migrate to-kv` takes before it starts: VACUUM INTO, which writes
// one self-contained, transaction-consistent file even while a server has the database open (and works on a
// read-only connection, which is how the command opens the database).

import { dirname } from 'node:path';
import type { SqliteDatabase } from '@homeport/core';
import { reserveBackupFile } from './backup.js';

export const BACKUP_PREFIX = 'homeport-before-kv';

/**
 * Writes `db` (the database at `file`) to `<folder of file>/backups/homeport-before-kv-<UTC stamp>.db`
 * (owner-only, see reserveBackupFile) and returns the backup's path.
 */
export function backupBeforeKv(db: SqliteDatabase, file: string, at: number): string {
  const target = reserveBackupFile(dirname(file), BACKUP_PREFIX, at);
  db.prepare('VACUUM INTO ?').run(target);
  return target;
}
