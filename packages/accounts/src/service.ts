// Accounts logic shared by the HTTP routes and the `homeport user` CLI: users, logins, sessions, API tokens.

import { availableParallelism } from 'node:os';
import type { EventBus, Logger, Role } from '@homeport/core';
import { AuthCache } from './auth-cache.js';
import { AccountsError } from './errors.js';
import { Mutex, Semaphore } from './gate.js';
import { createDecoyVerifier, hashPassword, passwordLengthProblem, verifyPassword } from './passwords.js';
import { hashToken, newApiToken, newId, newSessionToken, secretsEqual } from './secrets.js';
import type {
  AccountsStore,
  ApiTokenRecord,
  SessionRecord,
  UserRecord,
  UserStatus,
} from './store/repositories.js';
import type { LoginThrottle } from './throttle.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
export const USERS_TOPIC = 'accounts.users';

export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
}

export interface IssuedSession {
  token: string;
  session: SessionRecord;
  user: UserRecord;
}

export interface AccountsServiceOptions {
  store: AccountsStore;
  events: EventBus;
  log: Logger;
  sessionTtlMs: number;
  throttle: LoginThrottle;
  clientToken?: string | undefined;
  clock?: () => number;
  /** Shared with the authentication settings, so their admin-lockout check and user changes cannot interleave. */
  userMutations?: Mutex;
  /** Called (under the user lock) before an admin is demoted or disabled; throws to refuse. */
  beforeAdminLoss?: (user: UserRecord) => Promise<void>;
}

export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    status: user.status,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/** Session last-seen times are written at most this often, so reads stay reads. */
const TOUCH_EVERY_MS = 60_000;

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(options: AccountsServiceOptions) {
  const { store, events, log } = options;
  const clock = options.clock ?? Date.now;
  const nowIso = () => new Date(clock()).toISOString();
  const decoy = createDecoyVerifier();
  // Hashing runs on libuv's pool (4 threads); queue a bounded number beyond that, refuse the rest.
  const hashing = new Semaphore(Math.max(2, availableParallelism()), 256);
  const userMutations = options.userMutations ?? new Mutex();
  // Cached records are the ones resolve*() hands out; their lastSeenAt/lastUsedAt are updated in place.
  const sessionCache = new AuthCache<SessionRecord>();
  const tokenCache = new AuthCache<ApiTokenRecord>();

  const hashOrBusy = async <T>(task: () => Promise<T>): Promise<T> => {
    const result = await hashing.run(task);
    if (!result)
      throw new AccountsError('busy', 'unavailable', 'Too many logins at once; retry shortly', {
        retryAfterSeconds: 1,
      });
    return result.value;
  };

  const checkNewCredentials = (username: string, password: string): void => {
    if (!USERNAME_PATTERN.test(username)) {
      throw new AccountsError(
        'invalid_request',
        'bad_request',
        'username must be 3–64 characters of A–Z, a–z, 0–9, _ and -',
        {
          details: { field: 'username' },
        },
      );
    }
    const problem = passwordLengthProblem(password);
    if (problem)
      throw new AccountsError('invalid_request', 'bad_request', problem, { details: { field: 'password' } });
  };

  const publish = (type: 'user.created' | 'user.updated', user: UserRecord): void => {
    events.publish(USERS_TOPIC, type, toPublicUser(user));
  };

  const service = {
    async createUser(input: { username: string; password: string; role: Role }): Promise<UserRecord> {
      checkNewCredentials(input.username, input.password);
      const at = nowIso();
      const user: UserRecord = {
        id: newId('usr'),
        username: input.username,
        passwordHash: await hashOrBusy(() => hashPassword(input.password)),
        role: input.role,
        status: 'active',
        createdAt: at,
        updatedAt: at,
      };
      await store.users.create(user);
      log.info({ userId: user.id, username: user.username, role: user.role }, 'user created');
      publish('user.created', user);
      return user;
    },

    /** An account that signs in through an identity provider only, so it has no password hash. */
    async createExternalUser(input: { username: string; role: Role }): Promise<UserRecord> {
      const at = nowIso();
      const user: UserRecord = {
        id: newId('usr'),
        username: input.username,
        passwordHash: null,
        role: input.role,
        status: 'active',
        createdAt: at,
        updatedAt: at,
      };
      await store.users.create(user);
      log.info(
        { userId: user.id, username: user.username, role: user.role },
        'user created from OIDC sign-in',
      );
      publish('user.created', user);
      return user;
    },

    /** Tells admins' screens that something about a user changed outside updateUser (e.g. an unlink). */
    announceUserChanged(user: UserRecord): void {
      publish('user.updated', user);
    },

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

    /** Checks throttles first (no hashing for a throttled client), then the password. */
    async login(input: {
      username: string;
      password: string;
      ip: string;
      userAgent: string | null;
    }): Promise<IssuedSession> {
      const attempt = options.throttle.begin(input.ip, input.username);
      if (!('finish' in attempt)) {
        throw new AccountsError(
          'too_many_attempts',
          'rate_limited',
          `Too many failed logins; retry in ${attempt.retryAfterSeconds} s`,
          {
            retryAfterSeconds: attempt.retryAfterSeconds,
          },
        );
      }
      let success = false;
      try {
        const user = await store.users.byUsername(input.username);
        const invalid = new AccountsError(
          'invalid_credentials',
          'unauthorized',
          'Invalid username or password',
        );
        if (!user?.passwordHash || Buffer.byteLength(input.password, 'utf8') > 1024) {
          await hashOrBusy(decoy);
          throw invalid;
        }
        const stored = user.passwordHash;
        const check = await hashOrBusy(() => verifyPassword(stored, input.password));
        if (!check.ok) throw invalid;
        success = true;
        if (user.status !== 'active')
          throw new AccountsError('user_disabled', 'forbidden', 'This account is disabled');
        if (check.needsUpgrade) {
          const upgraded = await hashOrBusy(() => hashPassword(input.password));
          await store.users.update(user.id, { passwordHash: upgraded }, nowIso());
          log.info({ userId: user.id }, 'password hash upgraded to argon2id');
        }
        return await service.issueSession(user, { ip: input.ip, userAgent: input.userAgent });
      } finally {
        attempt.finish(success);
      }
    },

    async register(input: {
      username: string;
      password: string;
      ip: string;
      userAgent: string | null;
    }): Promise<IssuedSession> {
      const user = await service.createUser({
        username: input.username,
        password: input.password,
        role: 'member',
      });
      return service.issueSession(user, { ip: input.ip, userAgent: input.userAgent });
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

    isClientToken(token: string): boolean {
      return options.clientToken !== undefined && secretsEqual(token, options.clientToken);
    },

    async endSession(sessionId: string): Promise<void> {
      sessionCache.dropRecord(sessionId);
      await store.sessions.deleteById(sessionId);
    },

    async listSessions(userId: string): Promise<SessionRecord[]> {
      const now = clock();
      return (await store.sessions.listForUser(userId)).filter((session) => session.expiresAt > now);
    },

    async revokeSession(userId: string, sessionId: string): Promise<void> {
      sessionCache.dropRecord(sessionId);
      if (!(await store.sessions.deleteForUser(userId, sessionId))) {
        throw new AccountsError('session_not_found', 'not_found', 'No such session');
      }
    },

    async createApiToken(userId: string, input: { name: string; expiresInDays?: number | undefined }) {
      const value = newApiToken();
      const record: ApiTokenRecord = {
        id: newId('tok'),
        tokenHash: hashToken(value),
        userId,
        name: input.name,
        prefix: value.slice(0, 10),
        createdAt: nowIso(),
        lastUsedAt: null,
        expiresAt: input.expiresInDays === undefined ? null : clock() + input.expiresInDays * 86_400_000,
      };
      await store.tokens.create(record);
      log.info({ userId, tokenId: record.id }, 'api token created');
      return { record, value };
    },

    listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
      return store.tokens.listForUser(userId);
    },

    async revokeApiToken(userId: string, tokenId: string): Promise<void> {
      tokenCache.dropRecord(tokenId);
      if (!(await store.tokens.deleteForUser(userId, tokenId))) {
        throw new AccountsError('token_not_found', 'not_found', 'No such API token');
      }
      log.info({ userId, tokenId }, 'api token revoked');
    },

    listUsers(): Promise<UserRecord[]> {
      return store.users.list();
    },

    async findUser(idOrName: string): Promise<UserRecord> {
      const user = (await store.users.byId(idOrName)) ?? (await store.users.byUsername(idOrName));
      if (!user) throw new AccountsError('user_not_found', 'not_found', `No user "${idOrName}"`);
      return user;
    },

    /**
     * Changes role, status or password. Refuses to leave no active admin; disabling a user or resetting
     * their password ends their sessions at once.
     */
    updateUser(
      id: string,
      patch: { role?: Role; status?: UserStatus; password?: string },
    ): Promise<UserRecord> {
      return userMutations.lock(async () => {
        const user = await service.findUser(id);
        if (patch.password !== undefined) {
          const problem = passwordLengthProblem(patch.password);
          if (problem)
            throw new AccountsError('invalid_request', 'bad_request', problem, {
              details: { field: 'password' },
            });
        }
        const losesAdmin =
          user.role === 'admin' &&
          user.status === 'active' &&
          (patch.role === 'member' || patch.status === 'disabled');
        if (losesAdmin && (await store.users.countActiveAdmins()) <= 1) {
          throw new AccountsError(
            'last_admin',
            'conflict',
            'This is the last active admin; make another admin first',
          );
        }
        if (losesAdmin) await options.beforeAdminLoss?.(user);
        const passwordHash =
          patch.password === undefined
            ? undefined
            : await hashOrBusy(() => hashPassword(patch.password as string));
        const updated = await store.users.update(
          user.id,
          {
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.status !== undefined ? { status: patch.status } : {}),
            ...(passwordHash !== undefined ? { passwordHash } : {}),
          },
          nowIso(),
        );
        if (!updated) throw new AccountsError('user_not_found', 'not_found', `No user "${id}"`);
        sessionCache.dropUser(user.id);
        tokenCache.dropUser(user.id);
        if (patch.status === 'disabled' || patch.password !== undefined) {
          const ended = await store.sessions.deleteAllForUser(user.id);
          log.info({ userId: user.id, sessionsEnded: ended }, 'sessions ended');
        }
        log.info(
          {
            userId: user.id,
            role: patch.role,
            status: patch.status,
            passwordReset: patch.password !== undefined,
          },
          'user updated',
        );
        publish('user.updated', updated);
        return updated;
      });
    },

    async sweepExpiredSessions(): Promise<number> {
      return store.sessions.deleteExpired(clock());
    },

    /** First launch: when no active admin exists, create `admin` with the given or a generated password. */
    async ensureFirstAdmin(
      password: string | undefined,
      generate: () => string,
    ): Promise<{ username: string; generatedPassword?: string } | undefined> {
      if ((await store.users.countActiveAdmins()) > 0) return undefined;
      if ((await store.users.list()).length > 0) {
        log.warn('no active admin exists; recover with `homeport user set-role <name> admin`');
        return undefined;
      }
      const chosen = password ?? generate();
      await service.createUser({ username: 'admin', password: chosen, role: 'admin' });
      return password === undefined
        ? { username: 'admin', generatedPassword: chosen }
        : { username: 'admin' };
    },
  };
  return service;
}
