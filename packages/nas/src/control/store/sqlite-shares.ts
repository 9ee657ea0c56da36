// SQLite implementation of the share-link and attempt repositories (contract in repositories.ts).

import type { SqliteDatabase } from '@homeport/core';
import type {
  AttemptRepository,
  AttemptWindow,
  ShareKind,
  ShareMode,
  ShareRecord,
  ShareRepository,
} from './repositories.js';
import { isSqliteUniqueViolation, uniquenessConflict } from './store-errors.js';

interface ShareRow {
  id: string;
  export_id: string;
  path: string;
  kind: ShareKind;
  mode: ShareMode;
  secret_hash: string;
  password_hash: string | null;
  created_by: string;
  created_at: string;
  expires_at: number;
  revoked_at: string | null;
  opens: number;
  last_opened_at: string | null;
}

const toShare = (row: ShareRow): ShareRecord => ({
  id: row.id,
  exportId: row.export_id,
  path: row.path,
  kind: row.kind,
  mode: row.mode,
  secretHash: row.secret_hash,
  passwordHash: row.password_hash,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  opens: row.opens,
  lastOpenedAt: row.last_opened_at,
});

export function sqliteShareRepository(db: SqliteDatabase): ShareRepository {
  const insert = db.prepare(`
    INSERT INTO nas_shares (id, export_id, path, kind, mode, secret_hash, password_hash, created_by, created_at,
                            expires_at, revoked_at, opens, last_opened_at)
    VALUES (@id, @exportId, @path, @kind, @mode, @secretHash, @passwordHash, @createdBy, @createdAt,
            @expiresAt, @revokedAt, @opens, @lastOpenedAt)`);
  const byId = db.prepare<[string], ShareRow>('SELECT * FROM nas_shares WHERE id = ?');
  const list = db.prepare<[], ShareRow>('SELECT * FROM nas_shares ORDER BY created_at DESC, id');
  const forCreator = db.prepare<[string], ShareRow>(
    'SELECT * FROM nas_shares WHERE created_by = ? ORDER BY created_at DESC, id',
  );
  const countActive = db
    .prepare<[string, number], number>(
      'SELECT COUNT(*) FROM nas_shares WHERE created_by = ? AND revoked_at IS NULL AND expires_at > ?',
    )
    .pluck();
  const revoke = db.prepare('UPDATE nas_shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const opened = db.prepare('UPDATE nas_shares SET opens = opens + 1, last_opened_at = ? WHERE id = ?');
  const deleteExpired = db.prepare('DELETE FROM nas_shares WHERE expires_at <= ?');
  return {
    async create(share) {
      try {
        insert.run(share);
      } catch (error) {
        if (!isSqliteUniqueViolation(error)) throw error;
        throw uniquenessConflict('id', `Share link ${share.id} already exists`, error);
      }
    },
    async byId(id) {
      const row = byId.get(id);
      return row && toShare(row);
    },
    async list() {
      return list.all().map(toShare);
    },
    async listForCreator(userId) {
      return forCreator.all(userId).map(toShare);
    },
    async countActive(createdBy, nowSeconds) {
      return countActive.get(createdBy, nowSeconds) ?? 0;
    },
    async revoke(id, at) {
      return revoke.run(at, id).changes > 0;
    },
    async recordOpen(id, at) {
      opened.run(at, id);
    },
    async deleteExpired(beforeSeconds) {
      return deleteExpired.run(beforeSeconds).changes;
    },
  };
}

export function sqliteAttemptRepository(db: SqliteDatabase): AttemptRepository {
  const get = db.prepare<[string], { count: number; window_start: number }>(
    'SELECT count, window_start FROM nas_attempts WHERE key = ?',
  );
  // One statement: a new window when there is none or the last one ended, else one more in it.
  const fail = db.prepare<[{ key: string; now: number; windowMs: number }], AttemptWindow>(`
    INSERT INTO nas_attempts (key, count, window_start) VALUES (@key, 1, @now)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN window_start + @windowMs <= @now THEN 1 ELSE count + 1 END,
      window_start = CASE WHEN window_start + @windowMs <= @now THEN @now ELSE window_start END
    RETURNING count, window_start AS windowStart`);
  const stale = db.prepare('DELETE FROM nas_attempts WHERE window_start < ?');
  return {
    async current(key, nowMs, windowMs) {
      const row = get.get(key);
      if (row === undefined || row.window_start + windowMs <= nowMs) return { count: 0, windowStart: nowMs };
      return { count: row.count, windowStart: row.window_start };
    },
    async fail(key, nowMs, windowMs) {
      const row = fail.get({ key, now: nowMs, windowMs });
      if (row === undefined) throw new Error('nas_attempts: the upsert returned no row');
      return row;
    },
    async deleteStale(beforeMs) {
      stale.run(beforeMs);
    },
  };
}
