// SQLite implementation of the accounts repositories: prepared statements, one row per call. Lookups hide
// sessions that are expired or ended by their user's sessionsNotBefore (repositories.ts states the contract).

import type { SqliteDatabase } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type {
  AccountsStore,
  AccountsStoreOptions,
  ApiTokenRecord,
  ApiTokenRepository,
  SessionRecord,
  SessionRepository,
  UserPatch,
  UserRecord,
  UserRepository,
} from './repositories.js';
import { sessionEnded } from './session-rules.js';
import { duplicateKey } from './sqlite-errors.js';
import {
  createAuthSettingsRepository,
  createIdentityRepository,
  createLoginAttemptRepository,
  createOidcSessionRepository,
} from './sqlite-oidc-store.js';

interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  role: UserRecord['role'];
  status: UserRecord['status'];
  created_at: string;
  updated_at: string;
  sessions_not_before: number | null;
}

interface SessionRow {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: number;
  last_seen_at: string;
  ip: string | null;
  user_agent: string | null;
}

/** A session row joined with its user's sessions_not_before. */
interface LiveSessionRow extends SessionRow {
  not_before: number | null;
}

interface TokenRow {
  id: string;
  token_hash: string;
  user_id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: number | null;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  role: row.role,
  status: row.status,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  ...(row.sessions_not_before === null ? {} : { sessionsNotBefore: row.sessions_not_before }),
});

const toSession = (row: SessionRow): SessionRecord => ({
  id: row.id,
  tokenHash: row.token_hash,
  userId: row.user_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastSeenAt: row.last_seen_at,
  ip: row.ip,
  userAgent: row.user_agent,
});

const toToken = (row: TokenRow): ApiTokenRecord => ({
  id: row.id,
  tokenHash: row.token_hash,
  userId: row.user_id,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
});

function createUserRepository(db: SqliteDatabase): UserRepository {
  const insert = db.prepare(
    `INSERT INTO users (id, username, username_key, password_hash, role, status, created_at, updated_at,
       sessions_not_before)
     VALUES (@id, @username, @usernameKey, @passwordHash, @role, @status, @createdAt, @updatedAt, @notBefore)`,
  );
  const byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
  const byKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username_key = ?');
  const list = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username_key');
  // A null parameter keeps the column as it is; sessions_not_before only moves forward.
  const update = db.prepare(
    `UPDATE users SET role = COALESCE(@role, role), status = COALESCE(@status, status),
       password_hash = COALESCE(@passwordHash, password_hash),
       sessions_not_before = CASE WHEN @notBefore IS NULL THEN sessions_not_before
         ELSE MAX(COALESCE(sessions_not_before, @notBefore), @notBefore) END,
       updated_at = @updatedAt WHERE id = @id`,
  );
  const admins = db
    .prepare<[], number>("SELECT COUNT(*) FROM users WHERE role = 'admin' AND status = 'active'")
    .pluck();
  return {
    async create(user) {
      try {
        insert.run({
          id: user.id,
          username: user.username,
          usernameKey: user.username.toLowerCase(),
          passwordHash: user.passwordHash,
          role: user.role,
          status: user.status,
          createdAt: user.createdAt,
          updatedAt: user.updatedAt,
          notBefore: user.sessionsNotBefore ?? null,
        });
      } catch (error) {
        // better-sqlite3's SqliteError carries the extended result code: UNIQUE is username_key, PRIMARYKEY the id.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new AccountsError('username_taken', `The username "${user.username}" is taken`, {
            cause: error,
          });
        }
        throw duplicateKey(error, `user ${user.id}`);
      }
    },
    async byId(id) {
      const row = byId.get(id);
      return row && toUser(row);
    },
    async byUsername(username) {
      const row = byKey.get(username.toLowerCase());
      return row && toUser(row);
    },
    async list() {
      return list.all().map(toUser);
    },
    async update(id, patch: UserPatch, updatedAt) {
      update.run({
        id,
        updatedAt,
        role: patch.role ?? null,
        status: patch.status ?? null,
        passwordHash: patch.passwordHash ?? null,
        notBefore: patch.sessionsNotBefore ?? null,
      });
      const row = byId.get(id);
      return row && toUser(row);
    },
    async countActiveAdmins() {
      return admins.get() ?? 0;
    },
  };
}

function createSessionRepository(db: SqliteDatabase, clock: () => number): SessionRepository {
  const insert = db.prepare(
    `INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
     VALUES (@id, @tokenHash, @userId, @createdAt, @expiresAt, @lastSeenAt, @ip, @userAgent)`,
  );
  // Joined with the user: a session is live only while unexpired and not ended by sessions_not_before.
  const live = `SELECT s.*, u.sessions_not_before AS not_before FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.expires_at > @now`;
  const byHash = db.prepare<{ now: number; key: string }, LiveSessionRow>(`${live} AND s.token_hash = @key`);
  const byId = db.prepare<{ now: number; key: string }, LiveSessionRow>(`${live} AND s.id = @key`);
  const forUser = db.prepare<{ now: number; key: string }, LiveSessionRow>(
    `${live} AND s.user_id = @key ORDER BY s.created_at DESC, s.id DESC`,
  );
  const deleteOne = db.prepare('DELETE FROM sessions WHERE id = ? AND user_id = ?');
  const deleteById = db.prepare('DELETE FROM sessions WHERE id = ?');
  // `id IS NOT NULL` holds for every row, so a null exception deletes them all.
  const deleteAll = db.prepare('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?');
  const deleteExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  const withNotBefore = db.prepare<[], { id: string; created_at: string; not_before: number }>(
    `SELECT s.id, s.created_at, u.sessions_not_before AS not_before FROM sessions s
       JOIN users u ON u.id = s.user_id WHERE u.sessions_not_before IS NOT NULL`,
  );
  const touch = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  // ON DELETE CASCADE removes each deleted session's oidc_sessions row (foreign keys are on: openDatabase).
  const sweep = db.transaction((now: number): number => {
    let removed = deleteExpired.run(now).changes;
    for (const row of withNotBefore.all()) {
      if (sessionEnded(row.created_at, row.not_before)) removed += deleteById.run(row.id).changes;
    }
    return removed;
  });
  const liveOnly = (row: LiveSessionRow | undefined): SessionRecord | undefined =>
    row === undefined || sessionEnded(row.created_at, row.not_before) ? undefined : toSession(row);
  return {
    async create(session) {
      try {
        insert.run(session);
      } catch (error) {
        throw duplicateKey(error, `session ${session.id}`);
      }
    },
    async byTokenHash(tokenHash) {
      return liveOnly(byHash.get({ now: clock(), key: tokenHash }));
    },
    async byId(sessionId) {
      return liveOnly(byId.get({ now: clock(), key: sessionId }));
    },
    async listForUser(userId) {
      return forUser
        .all({ now: clock(), key: userId })
        .map(liveOnly)
        .filter((session) => session !== undefined);
    },
    async deleteForUser(userId, sessionId) {
      return deleteOne.run(sessionId, userId).changes > 0;
    },
    async deleteById(sessionId) {
      deleteById.run(sessionId);
    },
    async deleteAllForUser(userId, exceptSessionId) {
      return deleteAll.run(userId, exceptSessionId ?? null).changes;
    },
    async deleteExpired(now) {
      return sweep(now);
    },
    async touch(sessionId, lastSeenAt) {
      touch.run(lastSeenAt, sessionId);
    },
  };
}

function createApiTokenRepository(db: SqliteDatabase): ApiTokenRepository {
  const insert = db.prepare(
    `INSERT INTO api_tokens (id, token_hash, user_id, name, prefix, created_at, last_used_at, expires_at)
     VALUES (@id, @tokenHash, @userId, @name, @prefix, @createdAt, @lastUsedAt, @expiresAt)`,
  );
  const byHash = db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?');
  const byId = db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ?');
  const deleteAll = db.prepare('DELETE FROM api_tokens WHERE user_id = ?');
  const forUser = db.prepare<[string], TokenRow>(
    'SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC',
  );
  const deleteOne = db.prepare('DELETE FROM api_tokens WHERE id = ? AND user_id = ?');
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  return {
    async create(token) {
      try {
        insert.run(token);
      } catch (error) {
        throw duplicateKey(error, `API token ${token.id}`);
      }
    },
    async byTokenHash(tokenHash) {
      const row = byHash.get(tokenHash);
      return row && toToken(row);
    },
    async byId(tokenId) {
      const row = byId.get(tokenId);
      return row && toToken(row);
    },
    async deleteAllForUser(userId) {
      return deleteAll.run(userId).changes;
    },
    async listForUser(userId) {
      return forUser.all(userId).map(toToken);
    },
    async deleteForUser(userId, tokenId) {
      return deleteOne.run(tokenId, userId).changes > 0;
    },
    async touch(tokenId, lastUsedAt) {
      touch.run(lastUsedAt, tokenId);
    },
  };
}

/**
 * The accounts repositories on SQLite. `clock` is what lookups compare expiry against; pass the service's.
 * The schema (accountsMigrations) must be applied first: statements are prepared here.
 */
export function createSqliteAccountsStore(
  db: SqliteDatabase,
  options: AccountsStoreOptions = {},
): AccountsStore {
  const clock = options.clock ?? Date.now;
  return {
    users: createUserRepository(db),
    sessions: createSessionRepository(db, clock),
    tokens: createApiTokenRepository(db),
    identities: createIdentityRepository(db),
    loginAttempts: createLoginAttemptRepository(db, clock),
    oidcSessions: createOidcSessionRepository(db),
    authSettings: createAuthSettingsRepository(db),
  };
}
