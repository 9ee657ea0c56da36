// Uploads in progress: the hidden temp file of each PUT is recorded while it is written, so one a crash
// left behind (the agent killed mid-upload) is deleted at the next start instead of lying around unseen.

import { unlinkSync } from 'node:fs';
import type { SqliteDatabase } from '@homeport/core';

export interface UploadStore {
  begin(tempPath: string): void;
  end(tempPath: string): void;
  /** Deletes the temp files of uploads a previous run did not finish; returns how many rows it cleared. */
  sweepLeftovers(): number;
}

export function createUploadStore(db: SqliteDatabase, clock: () => number = Date.now): UploadStore {
  const insert = db.prepare('INSERT OR REPLACE INTO dav_uploads (path, started_at) VALUES (?, ?)');
  const remove = db.prepare('DELETE FROM dav_uploads WHERE path = ?');
  const all = db.prepare<[], string>('SELECT path FROM dav_uploads').pluck();
  return {
    begin(tempPath) {
      insert.run(tempPath, clock());
    },
    end(tempPath) {
      remove.run(tempPath);
    },
    sweepLeftovers() {
      const paths = all.all();
      for (const path of paths) {
        try {
          unlinkSync(path);
        } catch (error) {
          // Already gone (the upload finished but the row was not cleared): nothing to delete.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        remove.run(path);
      }
      return paths.length;
    },
  };
}
