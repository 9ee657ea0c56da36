// The agent's WebDAV state (locks, dead properties) as the files API's uploads see it: a file a mounted client
// holds a WebDAV lock on is not replaced by a browser upload, as WebDAV's own PUT would refuse it.

import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { DavError } from '../dav/errors.js';
import type { Found, Missing } from '../dav/fs/resolve.js';
import { openDavState } from '../dav/index.js';
import type { DavState } from '../dav/state/dav-state.js';
import { parentKey } from '../dav/state/keys.js';

/**
 * The WebDAV state in `<stateDir>/dav.db`, opened on first use (an upload's last step), once per process:
 * a second connection to the database the WebDAV handlers of this process use (SQLite in WAL mode; every
 * worker has its own connections too). It stays open for the life of the process, as theirs do.
 */
export function lazyDavState(stateDir: string): () => DavState {
  let state: DavState | undefined;
  return () => {
    // Migrated by the agent process before anything is served; applying them again is a no-op. Never the
    // sweep of PUT's temp files: that runs once, in the agent process.
    state ??= openDavState(openDatabase(join(stateDir, 'dav.db')), { sweepUploads: false });
    return state;
  };
}

/**
 * Refuses (423) to write `target` while a WebDAV lock covers it or, for a new file, its folder: the browser
 * holds no lock token, so any lock there is someone else's (PUT's rule, dav/preconditions.ts).
 */
export function requireUnlocked(state: DavState, root: string, target: Found | Missing, now: number): void {
  const keys = target.kind === 'missing' ? [target.key, parentKey(target.key)] : [target.key];
  for (const key of keys) {
    if (key !== '' && state.locks.covering(root, key, now).length > 0)
      throw new DavError(
        'locked',
        'A WebDAV client has locked this file or its folder; try again once it lets go',
      );
  }
}
