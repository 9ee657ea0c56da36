// Accounts logic shared by the HTTP routes and the `homeport user` CLI: users and logins; sessions and API
// tokens come from ./credentials.ts.

import { availableParallelism } from 'node:os';
import type { EventBus, Logger, Role } from '@homeport/core';
import { createCredentialService, type IssuedSession } from './credentials.js';
import { AccountsError } from './errors.js';
import { Mutex, Semaphore } from './gate.js';
import { createDecoyVerifier, hashPassword, passwordLengthProblem, verifyPassword } from './passwords.js';
import { newId } from './secrets.js';
import type { AccountsStore, UserRecord, UserStatus } from './store/repositories.js';
import type { LoginThrottle } from './throttle.js';

export type { IssuedSession } from './credentials.js';

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

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(options: AccountsServiceOptions) {
  const { store, events, log } = options;
  const clock = options.clock ?? Date.now;
  const nowIso = () => new Date(clock()).toISOString();
  const decoy = createDecoyVerifier();
  // Hashing runs on libuv's pool (4 threads); queue a bounded number beyond that, refuse the rest.
  const hashing = new Semaphore(Math.max(2, availableParallelism()), 256);
  const userMutations = options.userMutations ?? new Mutex();
  const credentials = createCredentialService({
    store,
    log,
    sessionTtlMs: options.sessionTtlMs,
    clientToken: options.clientToken,
    clock,
  });

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
    ...credentials,
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
        credentials.forgetUser(user.id);
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
