// The copy of the SQLite database `homeport migrate to-kv` takes before it starts: VACUUM INTO, which writes
// one self-contained, transaction-consistent file even while a server has the database open.

import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SqliteDatabase } from '@homeport/core';

export const BACKUP_PREFIX = 'homeport-before-kv';

/** `20260102T030405Z`: sorts by time and holds no character a file system or shell minds. */
const stamp = (at: number) => new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

/**
 * Writes `db` (the database at `file`) to `<folder of file>/backups/homeport-before-kv-<UTC stamp>.db`, folder
 * 0700 and file 0600 (it holds password hashes and token digests), and returns the backup's path. A second
 * backup in the same second gets `-1`, `-2`, ….
 */
export function backupBeforeKv(db: SqliteDatabase, file: string, at: number): string {
  const dir = join(dirname(file), 'backups');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode passes through the umask, and an existing folder keeps its own
  for (let attempt = 0; ; attempt += 1) {
    const target = join(dir, `${BACKUP_PREFIX}-${stamp(at)}${attempt === 0 ? '' : `-${attempt}`}.db`);
    try {
      // Created empty and owner-only before SQLite writes to it: VACUUM INTO accepts an empty file, and the
      // copy is never readable by others, not even for a moment.
      closeSync(openSync(target, 'wx', 0o600));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    chmodSync(target, 0o600);
    db.prepare('VACUUM INTO ?').run(target);
    return target;
  }
}
