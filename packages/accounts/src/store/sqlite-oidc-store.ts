// SQLite implementation of the OIDC-related accounts repositories: linked identities, login attempts,
// OIDC sessions and the saved authentication settings.

import type { SqliteDatabase } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type {
  AuthSettingsRepository,
  LoginAttemptRecord,
  LoginAttemptRepository,
  OidcIdentityRecord,
  OidcIdentityRepository,
  OidcSessionRecord,
  OidcSessionRepository,
  StoredAuthSettings,
} from './repositories.js';
import { expiredAt } from './session-rules.js';
import { duplicateKey } from './sqlite-errors.js';

interface IdentityRow {
  id: string;
  user_id: string;
  issuer: string;
  subject: string;
  display_name: string | null;
  email: string | null;
  email_verified: number | null;
  groups: string;
  created_at: string;
  last_login_at: string | null;
}

interface AttemptRow {
  state_hash: string;
  binding_hash: string;
  code_verifier: string;
  nonce: string;
  issuer: string;
  intent: LoginAttemptRecord['intent'];
  user_id: string | null;
  return_to: string | null;
  expires_at: number;
}

interface OidcSessionRow {
  session_id: string;
  identity_id: string;
  id_token: string | null;
}

const toIdentity = (row: IdentityRow): OidcIdentityRecord => ({
  id: row.id,
  userId: row.user_id,
  issuer: row.issuer,
  subject: row.subject,
  displayName: row.display_name,
  email: row.email,
  emailVerified: row.email_verified === null ? null : row.email_verified === 1,
  groups: JSON.parse(row.groups) as string[], // written by this file as a JSON array of strings
  createdAt: row.created_at,
  lastLoginAt: row.last_login_at,
});

const toAttempt = (row: AttemptRow): LoginAttemptRecord => ({
  stateHash: row.state_hash,
  bindingHash: row.binding_hash,
  codeVerifier: row.code_verifier,
  nonce: row.nonce,
  issuer: row.issuer,
  intent: row.intent,
  userId: row.user_id,
  returnTo: row.return_to,
  expiresAt: row.expires_at,
});

const flag = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

export function createIdentityRepository(db: SqliteDatabase): OidcIdentityRepository {
  const insert = db.prepare(
    `INSERT INTO oidc_identities (id, user_id, issuer, subject, display_name, email, email_verified, groups,
       created_at, last_login_at)
     VALUES (@id, @userId, @issuer, @subject, @displayName, @email, @emailVerified, @groups, @createdAt,
       @lastLoginAt)`,
  );
  const byId = db.prepare<[string], IdentityRow>('SELECT * FROM oidc_identities WHERE id = ?');
  const byKey = db.prepare<[string, string], IdentityRow>(
    'SELECT * FROM oidc_identities WHERE issuer = ? AND subject = ?',
  );
  const forUser = db.prepare<[string], IdentityRow>(
    'SELECT * FROM oidc_identities WHERE user_id = ? ORDER BY created_at, id',
  );
  const all = db.prepare<[], IdentityRow>('SELECT * FROM oidc_identities ORDER BY created_at, id');
  const recordLogin = db.prepare(
    `UPDATE oidc_identities SET display_name = @displayName, email = @email, email_verified = @emailVerified,
       groups = @groups, last_login_at = @at WHERE id = @id`,
  );
  const remove = db.prepare('DELETE FROM oidc_identities WHERE id = ?');
  return {
    async create(identity) {
      try {
        insert.run({
          ...identity,
          emailVerified: flag(identity.emailVerified),
          groups: JSON.stringify(identity.groups),
        });
      } catch (error) {
        // better-sqlite3's SqliteError carries the extended result code in `code`.
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new AccountsError(
            'oidc_identity_in_use',
            'This provider account is already linked to a Homeport user',
            { cause: error },
          );
        }
        throw duplicateKey(error, `OIDC identity ${identity.id}`);
      }
    },
    async byId(id) {
      const row = byId.get(id);
      return row && toIdentity(row);
    },
    async byIssuerSubject(issuer, subject) {
      const row = byKey.get(issuer, subject);
      return row && toIdentity(row);
    },
    async listForUser(userId) {
      return forUser.all(userId).map(toIdentity);
    },
    async list() {
      return all.all().map(toIdentity);
    },
    async recordLogin(id, snapshot, at) {
      recordLogin.run({
        id,
        at,
        displayName: snapshot.displayName,
        email: snapshot.email,
        emailVerified: flag(snapshot.emailVerified),
        groups: JSON.stringify(snapshot.groups),
      });
    },
    async delete(id) {
      return remove.run(id).changes > 0;
    },
  };
}

export function createLoginAttemptRepository(
  db: SqliteDatabase,
  clock: () => number,
): LoginAttemptRepository {
  const insert = db.prepare(
    `INSERT INTO oidc_login_attempts (state_hash, binding_hash, code_verifier, nonce, issuer, intent, user_id,
       return_to, expires_at)
     VALUES (@stateHash, @bindingHash, @codeVerifier, @nonce, @issuer, @intent, @userId, @returnTo, @expiresAt)`,
  );
  // DELETE … RETURNING makes "read, then forget" one statement: a replayed state finds nothing.
  const take = db.prepare<[string], AttemptRow>(
    'DELETE FROM oidc_login_attempts WHERE state_hash = ? RETURNING *',
  );
  const deleteExpired = db.prepare('DELETE FROM oidc_login_attempts WHERE expires_at <= ?');
  const live = db.prepare<[number], AttemptRow>(
    'SELECT * FROM oidc_login_attempts WHERE expires_at > ? ORDER BY state_hash',
  );
  return {
    async create(attempt) {
      try {
        insert.run(attempt);
      } catch (error) {
        throw duplicateKey(error, 'login attempt');
      }
    },
    async take(stateHash) {
      const row = take.get(stateHash);
      // Taken either way: an expired attempt is gone as if the sweep had run first.
      return row === undefined || expiredAt(row.expires_at, clock()) ? undefined : toAttempt(row);
    },
    async deleteExpired(now) {
      return deleteExpired.run(now).changes;
    },
    async list() {
      return live.all(clock()).map(toAttempt);
    },
  };
}

export function createOidcSessionRepository(db: SqliteDatabase): OidcSessionRepository {
  // Inserts nothing when the session is gone, so the missing session is told apart from a missing identity.
  const insert = db.prepare(
    `INSERT INTO oidc_sessions (session_id, identity_id, id_token)
     SELECT @sessionId, @identityId, @idToken WHERE EXISTS (SELECT 1 FROM sessions WHERE id = @sessionId)`,
  );
  const bySession = db.prepare<[string], OidcSessionRow>('SELECT * FROM oidc_sessions WHERE session_id = ?');
  const sessionIds = db
    .prepare<[string], string>('SELECT session_id FROM oidc_sessions WHERE identity_id = ?')
    .pluck();
  return {
    async create(record: OidcSessionRecord) {
      let inserted: number;
      try {
        inserted = insert.run(record).changes;
      } catch (error) {
        throw duplicateKey(error, `OIDC session of ${record.sessionId}`);
      }
      if (inserted === 0) throw new AccountsError('session_not_found', 'The session has ended');
    },
    async bySessionId(sessionId) {
      const row = bySession.get(sessionId);
      return row && { sessionId: row.session_id, identityId: row.identity_id, idToken: row.id_token };
    },
    async sessionIdsOf(identityId) {
      return sessionIds.all(identityId);
    },
  };
}

export function createAuthSettingsRepository(db: SqliteDatabase): AuthSettingsRepository {
  const read = db.prepare<[], string>('SELECT value FROM auth_settings WHERE id = 1').pluck();
  const write = db.prepare(
    `INSERT INTO auth_settings (id, value, updated_at) VALUES (1, @value, @updatedAt)
     ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
  return {
    async read() {
      const value = read.get();
      // Written only by write() below from a StoredAuthSettings, validated by the settings routes.
      return value === undefined ? undefined : (JSON.parse(value) as StoredAuthSettings);
    },
    async write(settings, updatedAt) {
      write.run({ value: JSON.stringify(settings), updatedAt });
    },
  };
}
