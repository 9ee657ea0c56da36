// SQLite implementation of the accounts repositories: prepared statements, one row per call.

import type { SqliteDatabase } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type {
  AccountsStore,
  ApiTokenRecord,
  ApiTokenRepository,
  SessionRecord,
  SessionRepository,
  UserPatch,
  UserRecord,
  UserRepository,
} from './repositories.js';
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
    `INSERT INTO users (id, username, username_key, password_hash, role, status, created_at, updated_at)
     VALUES (@id, @username, @usernameKey, @passwordHash, @role, @status, @createdAt, @updatedAt)`,
  );
  const byId = db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?');
  const byKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username_key = ?');
  const list = db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username_key');
  // A null parameter keeps the column as it is.
  const update = db.prepare(
    `UPDATE users SET role = COALESCE(@role, role), status = COALESCE(@status, status),
       password_hash = COALESCE(@passwordHash, password_hash), updated_at = @updatedAt WHERE id = @id`,
  );
  const admins = db
    .prepare<[], number>("SELECT COUNT(*) FROM users WHERE role = 'admin' AND status = 'active'")
    .pluck();
  return {
    async create(user) {
      try {
        insert.run({ ...user, usernameKey: user.username.toLowerCase() });
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new AccountsError('username_taken', `The username "${user.username}" is taken`, {
            cause: error,
          });
        }
        throw error;
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
      });
      const row = byId.get(id);
      return row && toUser(row);
    },
    async countActiveAdmins() {
      return admins.get() ?? 0;
    },
  };
}

function createSessionRepository(db: SqliteDatabase): SessionRepository {
  const insert = db.prepare(
    `INSERT INTO sessions (id, token_hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent)
     VALUES (@id, @tokenHash, @userId, @createdAt, @expiresAt, @lastSeenAt, @ip, @userAgent)`,
  );
  const byHash = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE token_hash = ?');
  const byId = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?');
  const forUser = db.prepare<[string], SessionRow>(
    'SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at DESC',
  );
  const deleteOne = db.prepare('DELETE FROM sessions WHERE id = ? AND user_id = ?');
  const deleteById = db.prepare('DELETE FROM sessions WHERE id = ?');
  // `id IS NOT NULL` holds for every row, so a null exception deletes them all.
  const deleteAll = db.prepare('DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?');
  const deleteExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
  const touch = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  return {
    async create(session) {
      insert.run(session);
    },
    async byTokenHash(tokenHash) {
      const row = byHash.get(tokenHash);
      return row && toSession(row);
    },
    async byId(sessionId) {
      const row = byId.get(sessionId);
      return row && toSession(row);
    },
    async listForUser(userId) {
      return forUser.all(userId).map(toSession);
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
      return deleteExpired.run(now).changes;
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
    'SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC',
  );
  const deleteOne = db.prepare('DELETE FROM api_tokens WHERE id = ? AND user_id = ?');
  const touch = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');
  return {
    async create(token) {
      insert.run(token);
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

export function createSqliteAccountsStore(db: SqliteDatabase): AccountsStore {
  return {
    users: createUserRepository(db),
    sessions: createSessionRepository(db),
    tokens: createApiTokenRepository(db),
    identities: createIdentityRepository(db),
    loginAttempts: createLoginAttemptRepository(db),
    oidcSessions: createOidcSessionRepository(db),
    authSettings: createAuthSettingsRepository(db),
  };
}
