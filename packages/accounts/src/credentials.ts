// Sessions and API tokens: issuing, resolving (through a short-lived cache), listing and revoking them,
// and the static client token.

import type { Logger } from '@homeport/core';
import { AuthCache } from './auth-cache.js';
import { AccountsError } from './errors.js';
import { hashToken, newApiToken, newId, newSessionToken, secretsEqual } from './secrets.js';
import type { AccountsStore, ApiTokenRecord, SessionRecord, UserRecord } from './store/repositories.js';

export interface IssuedSession {
  token: string;
  session: SessionRecord;
  user: UserRecord;
}

export interface CredentialServiceOptions {
  store: AccountsStore;
  log: Logger;
  sessionTtlMs: number;
  /** Lifetime of a new API token whose request names none. */
  apiTokenTtlMs: number;
  clientToken?: string | undefined;
  clock: () => number;
  /** Called after a user's session or API token ended here (logout, revocation), e.g. to close event streams. */
  onEnded?: (userId: string) => void;
}

/** Session last-seen times are written at most this often, so reads stay reads. */
const TOUCH_EVERY_MS = 60_000;

export type CredentialService = ReturnType<typeof createCredentialService>;

export function createCredentialService(options: CredentialServiceOptions) {
  const { store, log, clock } = options;
  const nowIso = () => new Date(clock()).toISOString();
  // Cached records are the ones resolve*() hands out; their lastSeenAt/lastUsedAt are updated in place.
  const sessionCache = new AuthCache<SessionRecord>();
  const tokenCache = new AuthCache<ApiTokenRecord>();
  const ended = (userId: string) => options.onEnded?.(userId);

  return {
    async issueSession(
      user: UserRecord,
      client: { ip: string | null; userAgent: string | null },
    ): Promise<IssuedSession> {
      const token = newSessionToken();
      const at = nowIso();
      const session: SessionRecord = {
        id: newId('ses'),
        tokenHash: hashToken(token),
        userId: user.id,
        createdAt: at,
        expiresAt: clock() + options.sessionTtlMs,
        lastSeenAt: at,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
      };
      await store.sessions.create(session);
      return { token, session, user };
    },

    /** The session and user behind a token, or undefined when unknown, expired or disabled. */
    async resolveSession(token: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
      const now = clock();
      let found = sessionCache.get(token, now);
      if (!found) {
        const session = await store.sessions.byTokenHash(hashToken(token));
        const user = session && (await store.users.byId(session.userId));
        if (!session || !user) return undefined;
        found = { record: session, user };
        sessionCache.set(token, found, now);
      }
      const { record: session, user } = found as { record: SessionRecord; user: UserRecord };
      if (session.expiresAt <= now) {
        sessionCache.dropRecord(session.id);
        await store.sessions.deleteById(session.id);
        return undefined;
      }
      if (user.status !== 'active') return undefined;
      if (now - Date.parse(session.lastSeenAt) > TOUCH_EVERY_MS) {
        session.lastSeenAt = nowIso();
        await store.sessions.touch(session.id, session.lastSeenAt);
      }
      return { session, user };
    },

    async resolveApiToken(token: string): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
      const now = clock();
      let found = tokenCache.get(token, now);
      if (!found) {
        const record = await store.tokens.byTokenHash(hashToken(token));
        const user = record && (await store.users.byId(record.userId));
        if (!record || !user) return undefined;
        found = { record, user };
        tokenCache.set(token, found, now);
      }
      const { record, user } = found as { record: ApiTokenRecord; user: UserRecord };
      if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
      if (user.status !== 'active') return undefined;
      if (!record.lastUsedAt || now - Date.parse(record.lastUsedAt) > TOUCH_EVERY_MS) {
        record.lastUsedAt = nowIso();
        await store.tokens.touch(record.id, record.lastUsedAt);
      }
      return { token: record, user };
    },

    /** A session by id as it stands in the store (no cache): for re-checking long-lived connections. */
    async currentSession(
      sessionId: string,
    ): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
      const session = await store.sessions.byId(sessionId);
      const user = session && (await store.users.byId(session.userId));
      if (!session || !user || session.expiresAt <= clock() || user.status !== 'active') return undefined;
      return { session, user };
    },

    /** An API token by id as it stands in the store (no cache). */
    async currentApiToken(tokenId: string): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
      const token = await store.tokens.byId(tokenId);
      const user = token && (await store.users.byId(token.userId));
      if (!token || !user || user.status !== 'active') return undefined;
      if (token.expiresAt !== null && token.expiresAt <= clock()) return undefined;
      return { token, user };
    },

    clientTokenConfigured(): boolean {
      return options.clientToken !== undefined;
    },

    isClientToken(token: string): boolean {
      return options.clientToken !== undefined && secretsEqual(token, options.clientToken);
    },

    async endSession(sessionId: string, userId: string): Promise<void> {
      sessionCache.dropRecord(sessionId);
      await store.sessions.deleteById(sessionId);
      ended(userId);
    },

    async listSessions(userId: string): Promise<SessionRecord[]> {
      const now = clock();
      return (await store.sessions.listForUser(userId)).filter((session) => session.expiresAt > now);
    },

    async revokeSession(userId: string, sessionId: string): Promise<void> {
      sessionCache.dropRecord(sessionId);
      if (!(await store.sessions.deleteForUser(userId, sessionId))) {
        throw new AccountsError('session_not_found', 'No such session');
      }
      ended(userId);
    },

    /**
     * Creates an API token. `expiresInDays` left out gives the configured default lifetime; `null` asks
     * explicitly for a token that never expires.
     */
    async createApiToken(userId: string, input: { name: string; expiresInDays?: number | null | undefined }) {
      const value = newApiToken();
      const record: ApiTokenRecord = {
        id: newId('tok'),
        tokenHash: hashToken(value),
        userId,
        name: input.name,
        prefix: value.slice(0, 10),
        createdAt: nowIso(),
        lastUsedAt: null,
        expiresAt:
          input.expiresInDays === null
            ? null
            : clock() +
              (input.expiresInDays === undefined ? options.apiTokenTtlMs : input.expiresInDays * 86_400_000),
      };
      await store.tokens.create(record);
      log.info(
        {
          userId,
          tokenId: record.id,
          expiresAt: record.expiresAt === null ? 'never' : new Date(record.expiresAt).toISOString(),
        },
        'api token created',
      );
      return { record, value };
    },

    listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
      return store.tokens.listForUser(userId);
    },

    async revokeApiToken(userId: string, tokenId: string): Promise<void> {
      tokenCache.dropRecord(tokenId);
      if (!(await store.tokens.deleteForUser(userId, tokenId))) {
        throw new AccountsError('token_not_found', 'No such API token');
      }
      log.info({ userId, tokenId }, 'api token revoked');
      ended(userId);
    },

    /** Ends every API token of a user (a password reset); returns how many. */
    async endApiTokens(userId: string): Promise<number> {
      tokenCache.dropUser(userId);
      return store.tokens.deleteAllForUser(userId);
    },

    async sweepExpiredSessions(): Promise<number> {
      return store.sessions.deleteExpired(clock());
    },

    /** Drops a user's cached credentials after their role, status or password changed. */
    forgetUser(userId: string): void {
      sessionCache.dropUser(userId);
      tokenCache.dropUser(userId);
    },
  };
}
