// The accounts module: wires store, service, guards, authentication settings, OIDC and routes; sweeps expired
// sessions and login attempts in the background.

import { randomBytes } from 'node:crypto';
import {
  type Config,
  coreSettings,
  type EventBus,
  type HttpApp,
  type KvStore,
  type Logger,
  type Module,
  moduleKey,
  persistedSecret,
  type StoreDriver,
} from '@homeport/core';
import { readCookie } from './cookies.js';
import { AccountsError } from './errors.js';
import { Mutex } from './gate.js';
import { type AccountsGuards, createGuards } from './guards.js';
import { assertAdminCanSignIn } from './oidc/admin-access.js';
import { createAuthSettingsManager } from './oidc/auth-settings.js';
import { createIdentityAdmin } from './oidc/identity-admin.js';
import { createOidcFlow } from './oidc/oidc-flow.js';
import { createProviderClient } from './oidc/provider-client.js';
import { createSecretBox } from './oidc/secret-box.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerAuthSettingsRoutes } from './routes/auth-settings-routes.js';
import { registerOidcRoutes } from './routes/oidc-routes.js';
import { registerSelfRoutes } from './routes/self-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { type AccountsService, createAccountsService, USERS_TOPIC } from './service.js';
import { accountsSettings } from './settings.js';
import { createSharedLoginThrottle, createSharedRegistrationThrottle } from './shared-throttle.js';
import { createKvAccountsStore } from './store/kv-store.js';
import { accountsMigrations } from './store/migrations.js';
import type { AccountsStore } from './store/repositories.js';
import { createSqliteAccountsStore } from './store/sqlite-store.js';
import { LoginThrottle, RegistrationThrottle } from './throttle.js';

export interface AccountsOptions {
  config: Config;
  /** The accounts repositories, built on the store Homeport runs on (see accountsStoreOf). */
  store: AccountsStore;
  events: EventBus;
  log: Logger;
  /** Absolute data folder: the generated encryption key lives in `<dataDir>/secrets/` when HOMEPORT_SECRET_KEY is unset. */
  dataDir: string;
  clock?: () => number;
  /** Whether the server itself serves TLS (cookies get the Secure flag). */
  tls?: boolean;
  /**
   * On the KV store: where the login and registration throttles count, so every replica sharing it counts
   * the same failures. Without it they count in this process (one Homeport on SQLite).
   */
  sharedThrottles?: KvStore | undefined;
}

/** What the accounts module offers the composition root, the CLI and tests. */
export interface AccountsApi {
  service: AccountsService;
  guards: AccountsGuards;
}

export const ACCOUNTS = moduleKey<AccountsApi>('accounts');

export interface Accounts extends AccountsApi {
  module: Module<AccountsApi>;
}

/** The accounts repositories on whichever store Homeport runs on. */
export async function accountsStoreOf(
  driver: StoreDriver,
  clock: () => number = Date.now,
): Promise<AccountsStore> {
  return driver.kind === 'sqlite'
    ? createSqliteAccountsStore(driver.db, { clock })
    : createKvAccountsStore(driver.kv, { clock });
}

/**
 * Builds the accounts module. Its guards are what every other module receives as `ctx.auth`, so the
 * composition root creates accounts first. Migrations must be applied before the service is used.
 */
export function createAccounts(options: AccountsOptions): Accounts {
  const settings = options.config.read(accountsSettings);
  const core = options.config.read(coreSettings);
  const clock = options.clock ?? Date.now;
  const { store } = options;
  // One lock for every change that the admin-lockout rule guards: user roles/status, settings, unlinking.
  const mutex = new Mutex();
  const box = createSecretBox(
    () =>
      settings.secretKey ??
      persistedSecret(options.dataDir, 'secret-key', () => randomBytes(32).toString('base64url')),
  );
  const provider = createProviderClient({ clock });
  const loginLimits = {
    perUser: settings.loginMaxFailuresPerUser,
    perIp: settings.loginMaxFailuresPerIp,
    clock,
  };
  const registrationLimits = { perIp: settings.registrationsPerIp, windowMs: 3_600_000, clock };
  const shared = options.sharedThrottles;
  const throttle = shared
    ? createSharedLoginThrottle({ ...loginLimits, kv: shared, log: options.log })
    : new LoginThrottle(loginLimits);
  const registrationThrottle = shared
    ? createSharedRegistrationThrottle({ ...registrationLimits, kv: shared })
    : new RegistrationThrottle(registrationLimits);
  const service = createAccountsService({
    store,
    events: options.events,
    log: options.log,
    sessionTtlMs: settings.sessionTtl,
    apiTokenTtlMs: settings.apiTokenTtl,
    throttle,
    registrationThrottle,
    clientToken: settings.clientToken,
    clock,
    userMutations: mutex,
    beforeAdminLoss: async (user) =>
      assertAdminCanSignIn(store, await authSettings.current(), { userLosingAdmin: user.id }),
  });
  const authSettings = createAuthSettingsManager({
    store,
    config: options.config,
    box,
    mutex,
    clock,
    assertAdminAccess: (next) => assertAdminCanSignIn(store, next),
    async verifyProvider(oidc, secret) {
      try {
        return await provider.canonicalIssuer(oidc, secret);
      } catch (error) {
        throw new AccountsError(
          'oidc_misconfigured',
          `Could not read the provider's discovery document for ${oidc.issuer}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, details: { field: 'oidc.issuer' } },
        );
      }
    },
  });
  const oidc = createOidcFlow({
    store,
    service,
    authSettings,
    provider,
    box,
    mutex,
    log: options.log,
    clock,
  });
  const identities = createIdentityAdmin({ store, service, authSettings, mutex, log: options.log });
  const guards = createGuards({ service });
  const secureCookies = options.tls === true || (core.publicUrl?.startsWith('https://') ?? false);
  let stopSweeper: (() => void) | undefined;

  options.events.defineTopic({
    pattern: USERS_TOPIC,
    history: 100,
    authorize: (principal) => principal.kind === 'user' && principal.role === 'admin',
  });

  const module: Module<AccountsApi> = {
    name: 'accounts',
    description: 'users, sessions, API tokens, local and OIDC sign-in (always on: the others need it)',
    settings: [accountsSettings],
    migrations: accountsMigrations,
    api: () => ({ service, guards }),
    routes(app: HttpApp) {
      const deps = {
        service,
        guards,
        settings,
        secureCookies,
        authSettings,
        oidc,
        identities,
        publicUrl: core.publicUrl,
        readCookie: (request: { headers: { cookie?: string | undefined } }, name: string) =>
          readCookie(request.headers.cookie, name),
      };
      registerAuthRoutes(app, deps);
      registerSelfRoutes(app, deps);
      registerUserRoutes(app, deps);
      registerAuthSettingsRoutes(app, deps);
      registerOidcRoutes(app, deps);
    },
    async start(ctx) {
      try {
        // Values from env/config can produce this state without the page's check; say so loudly.
        await assertAdminCanSignIn(store, await authSettings.current());
      } catch (error) {
        if (!(error instanceof AccountsError)) throw error;
        ctx.log.warn(
          {},
          `${error.message} Recover with HOMEPORT_LOCAL_LOGIN_ENABLED=true or \`homeport user set-role <name> admin\`.`,
        );
      }
      // Once per cluster: on the replica holding the lease (on SQLite, this process), first at once.
      stopSweeper = ctx.singleton.every('accounts.sweep', settings.sessionSweepInterval, async () => {
        const removed = await service.sweepExpiredSessions();
        if (removed > 0) ctx.log.info({ removed }, 'expired sessions swept');
        await store.loginAttempts.deleteExpired(clock());
      });
    },
    async stop() {
      stopSweeper?.();
    },
  };
  return { module, service, guards };
}
