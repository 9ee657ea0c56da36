// WebDAV write locks kept in SQLite, so a lock survives an agent restart as RFC 4918 expects of a lock's timeout.

import type { SqliteDatabase } from '@homeport/core';
import { belowRange, parentKey } from './keys.js';

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = '0' | 'infinity';

export interface DavLock {
  /** `urn:uuid:…` (RFC 4918 6.5: a URI unique across all resources for all time). */
  token: string;
  /** Export root on disk. */
  root: string;
  /** The lock root inside the export ('/' or '/a/b'). */
  path: string;
  scope: LockScope;
  depth: LockDepth;
  /** The client's DAV:owner element as XML (`<D:owner …>…</D:owner>`); '' when it sent none. */
  owner: string;
  /** Who took the lock; only they may use its token. */
  principal: string;
  timeoutSeconds: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface LockStore {
  /** Unexpired locks that apply to `path`: rooted at it, or depth-infinity locks rooted at an ancestor. */
  covering(root: string, path: string, now: number): DavLock[];
  /** Unexpired locks rooted at `path` or anywhere below it. */
  within(root: string, path: string, now: number): DavLock[];
  /** Unexpired locks for a folder listing: those covering `folder` plus those rooted at its direct members. */
  forFolder(root: string, folder: string, now: number): DavLock[];
  byToken(token: string, now: number): DavLock | undefined;
  /** Unexpired locks rooted at `path`, and in the whole export. */
  count(root: string, path: string, now: number): { atPath: number; inExport: number };
  /**
   * Takes `lock` unless a lock in its scope conflicts (an exclusive one either way); returns the conflicting
   * locks, empty when it was taken. Check and insert are one IMMEDIATE transaction: WebDAV workers are
   * separate processes on one database, and two LOCKs racing through two of them must not both win.
   */
  create(lock: DavLock, now: number): DavLock[];
  /** Sets a new timeout; returns the refreshed lock, or undefined when it no longer exists. */
  refresh(token: string, timeoutSeconds: number, now: number): DavLock | undefined;
  remove(token: string): boolean;
  /** Drops the locks rooted at `path` or below it (the resources were deleted or moved away). */
  removeWithin(root: string, path: string): void;
}

interface LockRow {
  token: string;
  root: string;
  path: string;
  scope: LockScope;
  depth: LockDepth;
  owner: string;
  principal: string;
  timeout_seconds: number;
  expires_at: number;
}

const COLUMNS = 'token, root, path, scope, depth, owner, principal, timeout_seconds, expires_at';

function toLock(row: LockRow): DavLock {
  return {
    token: row.token,
    root: row.root,
    path: row.path,
    scope: row.scope,
    depth: row.depth,
    owner: row.owner,
    principal: row.principal,
    timeoutSeconds: row.timeout_seconds,
    expiresAt: row.expires_at,
  };
}

export function createLockStore(db: SqliteDatabase): LockStore {
  // An ancestor's depth-infinity lock covers `path` when `path` starts with the ancestor's path plus '/';
  // substr/length count characters on both sides, so multi-byte names compare correctly.
  const covering = db.prepare<[string, number, string, string], LockRow>(
    `SELECT ${COLUMNS} FROM dav_locks WHERE root = ? AND expires_at > ? AND (path = ? OR (depth = 'infinity'
       AND (path = '/' OR substr(?, 1, length(path) + 1) = path || '/')))`,
  );
  const within = db.prepare<[string, number, string, string, string], LockRow>(
    `SELECT ${COLUMNS} FROM dav_locks WHERE root = ? AND expires_at > ? AND (path = ? OR (path >= ? AND path < ?))`,
  );
  const byToken = db.prepare<[string, number], LockRow>(
    `SELECT ${COLUMNS} FROM dav_locks WHERE token = ? AND expires_at > ?`,
  );
  const insert = db.prepare(
    `INSERT INTO dav_locks (${COLUMNS}, created_at) VALUES (@token, @root, @path, @scope, @depth, @owner,
       @principal, @timeoutSeconds, @expiresAt, @now)`,
  );
  const refresh = db.prepare('UPDATE dav_locks SET timeout_seconds = ?, expires_at = ? WHERE token = ?');
  const remove = db.prepare('DELETE FROM dav_locks WHERE token = ?');
  const removeWithin = db.prepare(
    'DELETE FROM dav_locks WHERE root = ? AND (path = ? OR (path >= ? AND path < ?))',
  );
  const purge = db.prepare('DELETE FROM dav_locks WHERE expires_at <= ?');
  const countAt = db.prepare<[string, string, number], { count: number }>(
    'SELECT COUNT(*) AS count FROM dav_locks WHERE root = ? AND path = ? AND expires_at > ?',
  );
  const countIn = db.prepare<[string, number], { count: number }>(
    'SELECT COUNT(*) AS count FROM dav_locks WHERE root = ? AND expires_at > ?',
  );

  const withinRows = (root: string, path: string, now: number): LockRow[] => {
    const [low, high] = belowRange(path);
    return within.all(root, now, path, low, high);
  };

  const createUnlessConflicting = db.transaction((lock: DavLock, now: number): DavLock[] => {
    const inScope = covering.all(lock.root, now, lock.path, lock.path);
    if (lock.depth === 'infinity')
      for (const row of withinRows(lock.root, lock.path, now)) if (row.path !== lock.path) inScope.push(row);
    const conflicts = inScope.filter((row) => lock.scope === 'exclusive' || row.scope === 'exclusive');
    if (conflicts.length > 0) return conflicts.map(toLock);
    // Expired rows are dead weight for every lookup; dropping them when a lock is taken bounds the table.
    purge.run(now);
    insert.run({ ...lock, now });
    return [];
  });

  return {
    covering: (root, path, now) => covering.all(root, now, path, path).map(toLock),
    within: (root, path, now) => withinRows(root, path, now).map(toLock),
    forFolder(root, folder, now) {
      const found = covering.all(root, now, folder, folder).map(toLock);
      for (const row of withinRows(root, folder, now)) {
        if (row.path !== folder && parentKey(row.path) === folder) found.push(toLock(row));
      }
      return found;
    },
    byToken(token, now) {
      const row = byToken.get(token, now);
      return row === undefined ? undefined : toLock(row);
    },
    count: (root, path, now) => ({
      atPath: countAt.get(root, path, now)?.count ?? 0,
      inExport: countIn.get(root, now)?.count ?? 0,
    }),
    // IMMEDIATE takes the write lock first, so the check reads what no other process can change before the insert.
    create: (lock, now) => createUnlessConflicting.immediate(lock, now),
    refresh(token, timeoutSeconds, now) {
      const expiresAt = now + timeoutSeconds * 1000;
      if (refresh.run(timeoutSeconds, expiresAt, token).changes === 0) return undefined;
      const row = byToken.get(token, now);
      return row === undefined ? undefined : toLock(row);
    },
    remove: (token) => remove.run(token).changes > 0,
    removeWithin(root, path) {
      const [low, high] = belowRange(path);
      removeWithin.run(root, path, low, high);
    },
  };
}
