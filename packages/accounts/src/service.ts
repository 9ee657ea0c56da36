// Accounts logic shared by the HTTP routes and the `homeport user` CLI: users and logins; sessions and API
// tokens come from ./credentials.ts.

import { type AccessChange, type EventBus, type Logger, publishOrLog, type Role } from '@homeport/core';
import { createCredentialService, type IssuedSession } from './credentials.js';
import { AccountsError } from './errors.js';
import { Mutex, Semaphore } from './gate.js';
import { PASSWORD_JOBS_AT_ONCE } from './password-pool.js';
import { createDecoyVerifier, hashPassword, verifyPassword } from './passwords.js';
import { PASSWORD_MAX_BYTES, passwordProblem, usernameProblem } from './rules.js';
import { newId } from './secrets.js';
import type { AccountsStore, UserRecord, UserStatus } from './store/repositories.js';
import type { LoginLimiter, RegistrationLimiter } from './throttle.js';

export type { IssuedSession } from './credentials.js';

export { USERNAME_PATTERN } from './rules.js';
export const USERS_TOPIC = 'accounts.users';

export interface PublicUser {
  id: string;
  username: string;
  role: Role;
  status: UserStatus;
  createdAt: string;
  updatedAt: string;
}

export interface AccountsServiceOptions {
  store: AccountsStore;
  events: EventBus;
  log: Logger;
  sessionTtlMs: number;
  /** Lifetime of a new API token whose request names none. */
  apiTokenTtlMs: number;
  /** Failed logins per IP and username: this process's (SQLite) or the cluster's (KV). */
  throttle: LoginLimiter;
  registrationThrottle: RegistrationLimiter;
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

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(options: AccountsServiceOptions) {
  const { store, events, log } = options;
  const clock = options.clock ?? Date.now;
  const nowIso = () => new Date(clock()).toISOString();
  const decoy = createDecoyVerifier();
  // Hashing runs on the password threads (password-pool.ts): as many at once as they take without waiting
  // (two per thread, so none idles between jobs); queue a bounded number beyond that, refuse the rest.
  const hashing = new Semaphore(PASSWORD_JOBS_AT_ONCE, 256);
  const userMutations = options.userMutations ?? new Mutex();
  const narrowedListeners = new Set<(change: AccessChange) => void | Promise<void>>();
  const endedListeners = new Set<(userId: string) => void>();
  const credentialsEnded = (userId: string): void => {
    for (const listener of endedListeners) {
      try {
        listener(userId);
      } catch (error) {
        log.error({ err: error, userId }, 'credentials-ended listener failed');
      }
    }
  };
  const credentials = createCredentialService({
    store,
    log,
    sessionTtlMs: options.sessionTtlMs,
    apiTokenTtlMs: options.apiTokenTtlMs,
    clientToken: options.clientToken,
    clock,
    onEnded: credentialsEnded,
  });

  /** Tells every listener, one after another; one listener's failure neither stops the others nor the change. */
  const accessNarrowed = async (changes: readonly AccessChange[]): Promise<void> => {
    for (const change of changes) {
      for (const listener of narrowedListeners) {
        try {
          await listener(change);
        } catch (error) {
          log.error(
            { err: error, userId: change.userId, reason: change.reason },
            'access-narrowed listener failed',
          );
        }
      }
    }
  };

  const refused = (
    what: 'login' | 'registration',
    ip: string,
    retryAfterSeconds: number,
    username: string,
  ) => {
    // One line, no stack: a refusal is the throttle working, not a fault.
    log.warn({ ip, username, retryAfterSeconds }, `${what} refused: too many attempts from this client`);
    return new AccountsError(
      'too_many_attempts',
      what === 'login'
        ? `Too many failed logins; retry in ${retryAfterSeconds} s`
        : `Too many registrations from this address; retry in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  };

  const hashOrBusy = async <T>(task: () => Promise<T>): Promise<T> => {
    const result = await hashing.run(task);
    if (!result)
      throw new AccountsError('busy', 'Too many logins at once; retry shortly', {
        retryAfterSeconds: 1,
      });
    return result.value;
  };

  const checkNewPassword = (password: string, field: string): void => {
    const problem = passwordProblem(password);
    if (problem) throw new AccountsError('invalid_request', problem, { details: { field } });
  };

  const checkNewCredentials = (username: string, password: string): void => {
    const nameProblem = usernameProblem(username);
    if (nameProblem) {
      throw new AccountsError('invalid_request', nameProblem, {
        details: { field: 'username' },
      });
    }
    checkNewPassword(password, 'password');
  };

  // After the change is stored: a publish that fails is logged, not thrown (see publishOrLog).
  const publish = (type: 'user.created' | 'user.updated', user: UserRecord): Promise<void> =>
    publishOrLog(events, log, USERS_TOPIC, type, toPublicUser(user));

  const service = {
    ...credentials,

    /**
     * Calls `listener` after a user's access narrowed (disabled, demoted, password reset), once the change is
     * stored; the change's caller waits for it. Returns the function that unsubscribes.
     */
    onAccessNarrowed(listener: (change: AccessChange) => void | Promise<void>): () => void {
      narrowedListeners.add(listener);
      return () => narrowedListeners.delete(listener);
    },

    /**
     * Calls `listener` with the user id after one of their sessions or API tokens ended (logout, revocation)
     * or their access narrowed: holders of long-lived connections re-check what they serve.
     */
    onCredentialsEnded(listener: (userId: string) => void): () => void {
      endedListeners.add(listener);
      return () => endedListeners.delete(listener);
    },

    /**
     * Drops what this process cached of a user's sessions and tokens, so the next request reads the store:
     * for a credential that ended on another replica (the cache would otherwise hold it up to a second).
     */
    forgetCachedCredentials(userId: string): void {
      credentials.forgetUser(userId);
    },

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
      await publish('user.created', user);
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
      await publish('user.created', user);
      return user;
    },

    /** Tells admins' screens that something about a user changed outside updateUser (e.g. an unlink). */
    async announceUserChanged(user: UserRecord): Promise<void> {
      await publish('user.updated', user);
    },

    /** Checks throttles first (no hashing for a throttled client), then the password. */
    async login(input: {
      username: string;
      password: string;
      ip: string;
      userAgent: string | null;
    }): Promise<IssuedSession> {
      const attempt = await options.throttle.begin(input.ip, input.username);
      if (!('finish' in attempt)) throw refused('login', input.ip, attempt.retryAfterSeconds, input.username);
      let success = false;
      // Logged whether or not the access log is on; the password never is.
      const failed = (why: string) => {
        log.warn({ username: input.username, ip: input.ip, reason: why }, 'login failed');
        return new AccountsError('invalid_credentials', 'Invalid username or password');
      };
      try {
        const user = await store.users.byUsername(input.username);
        if (!user?.passwordHash || Buffer.byteLength(input.password, 'utf8') > PASSWORD_MAX_BYTES) {
          await hashOrBusy(decoy);
          throw failed(user ? 'no password' : 'unknown user');
        }
        const stored = user.passwordHash;
        // A disabled account is checked like any other and answered like a wrong password: a different
        // answer (or a faster one) would tell a guesser the password was right.
        const check = await hashOrBusy(() => verifyPassword(stored, input.password));
        if (!check.ok) throw failed('wrong password');
        if (user.status !== 'active') throw failed('account disabled');
        success = true;
        if (check.needsUpgrade) {
          const upgraded = await hashOrBusy(() => hashPassword(input.password));
          await store.users.update(user.id, { passwordHash: upgraded }, nowIso());
          log.info({ userId: user.id }, 'password hash upgraded to argon2id');
        }
        return await service.issueSession(user, { ip: input.ip, userAgent: input.userAgent });
      } finally {
        // Awaited: a failure is counted (on KV, in the store) before the guesser hears the answer.
        await attempt.finish(success);
      }
    },

    async register(input: {
      username: string;
      password: string;
      ip: string;
      userAgent: string | null;
    }): Promise<IssuedSession> {
      const attempt = await options.registrationThrottle.begin(input.ip);
      if (!('finish' in attempt))
        throw refused('registration', input.ip, attempt.retryAfterSeconds, input.username);
      try {
        const user = await service.createUser({
          username: input.username,
          password: input.password,
          role: 'member',
        });
        return await service.issueSession(user, { ip: input.ip, userAgent: input.userAgent });
      } finally {
        attempt.finish();
      }
    },

    listUsers(): Promise<UserRecord[]> {
      return store.users.list();
    },

    async findUser(idOrName: string): Promise<UserRecord> {
      const user = (await store.users.byId(idOrName)) ?? (await store.users.byUsername(idOrName));
      if (!user) throw new AccountsError('user_not_found', `No user "${idOrName}"`);
      return user;
    },

    /**
     * Changes role, status or password. Refuses to leave no active admin; disabling a user or resetting
     * their password ends their sessions at once, and a password reset their API tokens too unless
     * `keepApiTokens` says otherwise. Access-narrowed listeners run once the change is stored.
     */
    async updateUser(
      id: string,
      patch: { role?: Role; status?: UserStatus; password?: string; keepApiTokens?: boolean },
      /** A user changing their own password keeps the session they did it from. */
      keep: { sessionId?: string | undefined } = {},
    ): Promise<UserRecord> {
      const { updated, changes } = await userMutations.lock(async () => {
        const user = await service.findUser(id);
        if (patch.password !== undefined) checkNewPassword(patch.password, 'password');
        const losesAdmin =
          user.role === 'admin' &&
          user.status === 'active' &&
          (patch.role === 'member' || patch.status === 'disabled');
        if (losesAdmin && (await store.users.countActiveAdmins()) <= 1) {
          throw new AccountsError('last_admin', 'This is the last active admin; make another admin first');
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
        if (!updated) throw new AccountsError('user_not_found', `No user "${id}"`);
        credentials.forgetUser(user.id);
        if (patch.status === 'disabled' || patch.password !== undefined) {
          const kept = patch.status === 'disabled' ? undefined : keep.sessionId;
          const ended = await store.sessions.deleteAllForUser(user.id, kept);
          log.info({ userId: user.id, sessionsEnded: ended, sessionKept: kept }, 'sessions ended');
        }
        if (patch.password !== undefined && patch.keepApiTokens !== true) {
          const ended = await credentials.endApiTokens(user.id);
          log.info({ userId: user.id, apiTokensEnded: ended }, 'api tokens ended by the new password');
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
        await publish('user.updated', updated);
        const narrowed: AccessChange[] = [];
        if (user.status === 'active' && updated.status === 'disabled')
          narrowed.push({ userId: user.id, reason: 'disabled' });
        if (user.role === 'admin' && updated.role === 'member')
          narrowed.push({ userId: user.id, reason: 'demoted' });
        if (patch.password !== undefined)
          narrowed.push({
            userId: user.id,
            reason: 'password_reset',
            ...(patch.keepApiTokens === true ? { keptApiTokens: true } : {}),
          });
        return { updated, changes: narrowed };
      });
      // Outside the lock: listeners may read users (and must not wait for a lock their caller holds).
      await accessNarrowed(changes);
      if (changes.length > 0) credentialsEnded(updated.id);
      return updated;
    },

    /**
     * A signed-in user changes their own password. The current one is checked like a login (same throttle,
     * hashing queue and failure log), the new one by the same rules as any; then, as after a reset, their
     * other sessions end (not `sessionId`, the one asking), their API tokens too unless `keepApiTokens`,
     * and access-narrowed listeners run (mount credentials, event streams).
     */
    async changeOwnPassword(input: {
      userId: string;
      sessionId: string | undefined;
      currentPassword: string;
      newPassword: string;
      keepApiTokens?: boolean | undefined;
      ip: string;
    }): Promise<UserRecord> {
      const user = await service.findUser(input.userId);
      if (user.passwordHash === null) {
        throw new AccountsError(
          'password_not_set',
          'You sign in through a provider and have no password to change; an admin can set one',
        );
      }
      checkNewPassword(input.newPassword, 'newPassword');
      const attempt = await options.throttle.begin(input.ip, user.username);
      if (!('finish' in attempt)) throw refused('login', input.ip, attempt.retryAfterSeconds, user.username);
      let success = false;
      try {
        const stored = user.passwordHash;
        const check =
          Buffer.byteLength(input.currentPassword, 'utf8') > PASSWORD_MAX_BYTES
            ? { ok: false }
            : await hashOrBusy(() => verifyPassword(stored, input.currentPassword));
        if (!check.ok) {
          log.warn(
            { userId: user.id, username: user.username, ip: input.ip, reason: 'wrong password' },
            'password change refused',
          );
          // Not 401: the session is fine, and a 401 would tell the web UI it had ended.
          throw new AccountsError('wrong_password', 'The current password is not correct', {
            details: { field: 'currentPassword' },
          });
        }
        success = true;
      } finally {
        await attempt.finish(success);
      }
      const updated = await service.updateUser(
        user.id,
        {
          password: input.newPassword,
          ...(input.keepApiTokens === undefined ? {} : { keepApiTokens: input.keepApiTokens }),
        },
        { sessionId: input.sessionId },
      );
      log.info({ userId: user.id, keptApiTokens: input.keepApiTokens === true }, 'own password changed');
      return updated;
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
