// The state every export of an agent shares: write locks, dead properties and uploads in progress, in the
// agent's SQLite database.

import { applyMigrations, type SqliteDatabase } from '@homeport/core';
import { createLockStore, type LockStore } from './lock-store.js';
import { davMigrations } from './migrations.js';
import { createPropStore, type PropStore } from './prop-store.js';
import { createUploadStore, type UploadStore } from './upload-store.js';

export interface DavState {
  readonly locks: LockStore;
  readonly props: PropStore;
  readonly uploads: UploadStore;
}

/**
 * Applies the 'nas-dav' migrations to `db` and returns the lock and dead-property stores over it.
 *
 * @example
 *   const state = openDavState(openDatabase(join(dataDir, 'agent.db')));
 *   const handle = createDavHandler({ root: '/srv/photos', state });
 */
export function openDavState(db: SqliteDatabase, options: { sweepUploads?: boolean } = {}): DavState {
  applyMigrations(db, 'nas-dav', davMigrations);
  const uploads = createUploadStore(db);
  // Opened once per agent start, before anything is served: a temp file still listed is a crashed upload.
  // WebDAV workers pass false: the agent process swept before starting them, and a worker restarted later
  // would delete the temp file of an upload another worker is writing.
  if (options.sweepUploads ?? true) uploads.sweepLeftovers();
  return { locks: createLockStore(db), props: createPropStore(db), uploads };
}
