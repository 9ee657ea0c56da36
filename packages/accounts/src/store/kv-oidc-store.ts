// The rest of the OIDC state on JetStream KV: single-use login attempts (their own bucket, with a max age as
// a backstop), the OIDC record of each session (gone with the session or the identity), and the saved
// authentication settings.

import { isConflict, type KvBucket, StoreError } from '@homeport/core';
import { AccountsError } from '../errors.js';
import { keys, tokensAfter } from './kv-keys.js';
import { isAuthSettingsEntry, isLoginAttempt, isOidcSession } from './kv-shapes.js';
import { byBytes, deleteAt, mapLimit, read } from './kv-support.js';
import type {
  AuthSettingsRepository,
  LoginAttemptRepository,
  OidcSessionRecord,
  OidcSessionRepository,
  StoredAuthSettings,
} from './repositories.js';
import { expiredAt } from './session-rules.js';

export function createKvLoginAttemptRepository(
  bucket: KvBucket,
  clock: () => number,
): LoginAttemptRepository {
  return {
    async create(attempt) {
      try {
        await bucket.create(keys.loginAttempt(attempt.stateHash), attempt);
      } catch (error) {
        if (!isConflict(error)) throw error;
        throw new StoreError('store_conflict', 'login attempt exists already', { cause: error });
      }
    },
    async take(stateHash) {
      const key = keys.loginAttempt(stateHash);
      const entry = await read(bucket, key, isLoginAttempt);
      if (entry === undefined) return undefined;
      // The taker is whoever creates this marker. It is a key never written before, and `create` of such a
      // key is decided by the replicated log itself — unlike a delete at a revision, which nats-server
      // before 2.9.21 lets two concurrent callers both win on a replicated stream (nats-server#4320).
      try {
        await bucket.create(keys.loginAttemptTaken(stateHash), {});
      } catch (error) {
        if (isConflict(error)) return undefined;
        throw error;
      }
      await bucket.delete(key);
      return expiredAt(entry.value.expiresAt, clock()) ? undefined : entry.value;
    },
    async deleteExpired(now) {
      const removed = await mapLimit(await bucket.keys(keys.loginAttempts), async (key) => {
        const entry = await read(bucket, key, isLoginAttempt);
        return (
          entry !== undefined &&
          expiredAt(entry.value.expiresAt, now) &&
          deleteAt(bucket, key, entry.revision)
        );
      });
      return removed.filter(Boolean).length;
    },
    async list() {
      // An attempt whose taker created the marker but had not deleted it yet is taken already.
      const [attemptKeys, takenKeys] = await Promise.all([
        bucket.keys(keys.loginAttempts),
        bucket.keys(keys.loginAttemptsTaken),
      ]);
      const taken = new Set(takenKeys.map((key) => key.slice(keys.loginAttemptsTaken.length)));
      const open = attemptKeys.filter((key) => !taken.has(key.slice(keys.loginAttempts.length)));
      const entries = await mapLimit(open, (key) => read(bucket, key, isLoginAttempt));
      return entries
        .flatMap((entry) =>
          entry === undefined || expiredAt(entry.value.expiresAt, clock()) ? [] : [entry.value],
        )
        .sort((a, b) => byBytes(a.stateHash, b.stateHash));
    },
  };
}

/** Deletes the OIDC record of one session (with its identity index entry), when there is one. */
export async function dropOidcSession(bucket: KvBucket, sessionId: string): Promise<void> {
  const entry = await read(bucket, keys.oidcSession(sessionId), isOidcSession);
  if (entry === undefined) return;
  await deleteAt(bucket, keys.oidcSession(sessionId), entry.revision);
  await bucket.delete(keys.oidcSessionOfIdentity(entry.value.identityId, sessionId));
}

/** Deletes the OIDC records of every session opened through an identity. */
export async function dropOidcSessionsOf(bucket: KvBucket, identityId: string): Promise<void> {
  const prefix = keys.oidcSessionsOfIdentity(identityId);
  await mapLimit(await bucket.keys(prefix), async (key) => {
    const [sessionId] = tokensAfter(key, prefix);
    const entry =
      sessionId === undefined ? undefined : await read(bucket, keys.oidcSession(sessionId), isOidcSession);
    if (sessionId !== undefined && entry?.value.identityId === identityId) {
      await deleteAt(bucket, keys.oidcSession(sessionId), entry.revision);
    }
    await bucket.delete(key);
  });
}

export interface KvOidcSessionDeps {
  bucket: KvBucket;
  /** Whether the session is stored (live or not). */
  sessionStored: (sessionId: string) => Promise<boolean>;
}

export function createKvOidcSessionRepository({
  bucket,
  sessionStored,
}: KvOidcSessionDeps): OidcSessionRepository {
  const gone = () => new AccountsError('session_not_found', 'The session has ended');
  return {
    async create(record: OidcSessionRecord) {
      if (!(await sessionStored(record.sessionId))) throw gone();
      // The identity index first: a crash after it makes an unlink end this session, never miss it.
      const byIdentity = keys.oidcSessionOfIdentity(record.identityId, record.sessionId);
      await bucket.put(byIdentity, {});
      let written: number;
      try {
        written = await bucket.create(keys.oidcSession(record.sessionId), record);
      } catch (error) {
        if (!isConflict(error)) throw error;
        const existing = await read(bucket, keys.oidcSession(record.sessionId), isOidcSession);
        if (existing?.value.identityId !== record.identityId) await bucket.delete(byIdentity);
        throw new StoreError('store_conflict', `OIDC session of ${record.sessionId} exists already`, {
          cause: error,
        });
      }
      // A delete of the session that ran between the check above and this write did not see this record;
      // looking again after writing closes that gap (the session's delete removes its record first).
      if (!(await sessionStored(record.sessionId))) {
        await deleteAt(bucket, keys.oidcSession(record.sessionId), written);
        await bucket.delete(byIdentity);
        throw gone();
      }
    },
    async bySessionId(sessionId) {
      const entry = await read(bucket, keys.oidcSession(sessionId), isOidcSession);
      if (entry === undefined) return undefined;
      const { identityId, idToken } = entry.value;
      return { sessionId: entry.value.sessionId, identityId, idToken };
    },
    async sessionIdsOf(identityId) {
      const prefix = keys.oidcSessionsOfIdentity(identityId);
      return (await bucket.keys(prefix)).flatMap((key) => tokensAfter(key, prefix).slice(0, 1));
    },
  };
}

export function createKvAuthSettingsRepository(bucket: KvBucket): AuthSettingsRepository {
  return {
    async read() {
      const entry = await read(bucket, keys.authSettings, isAuthSettingsEntry);
      // Written only by write() below from a StoredAuthSettings, validated by the settings routes.
      return entry && (entry.value.settings as StoredAuthSettings);
    },
    async write(settings, updatedAt) {
      await bucket.put(keys.authSettings, { settings, updatedAt });
    },
  };
}
