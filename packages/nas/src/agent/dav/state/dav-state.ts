// The state every export of an agent shares: write locks and dead properties, in the agent's SQLite database.

import { applyMigrations, type SqliteDatabase } from '@homeport/core';
import { createLockStore, type LockStore } from './lock-store.js';
import { davMigrations } from './migrations.js';
import { createPropStore, type PropStore } from './prop-store.js';

export interface DavState {
  readonly locks: LockStore;
  readonly props: PropStore;
}

/**
 * Applies the 'nas-dav' migrations to `db` and returns the lock and dead-property stores over it.
 *
 * @example
 *   const state = openDavState(openDatabase(join(dataDir, 'agent.db')));
 *   const handle = createDavHandler({ root: '/srv/photos', state });
 */
export function openDavState(db: SqliteDatabase): DavState {
  applyMigrations(db, 'nas-dav', davMigrations);
  return { locks: createLockStore(db), props: createPropStore(db) };
}
