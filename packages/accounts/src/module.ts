// The accounts module: wires store, service, guards and routes; sweeps expired sessions in the background.

import cookie from '@fastify/cookie';
import {
  type Config,
  coreSettings,
  type EventBus,
  type HttpApp,
  type Logger,
  type Module,
  type SqliteDatabase,
} from '@homeport/core';
import { type AccountsGuards, createGuards } from './guards.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerSelfRoutes } from './routes/self-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import { type AccountsService, createAccountsService, USERS_TOPIC } from './service.js';
import { accountsSettings } from './settings.js';
import { accountsMigrations } from './store/migrations.js';
import { createSqliteAccountsStore } from './store/sqlite-store.js';
import { LoginThrottle } from './throttle.js';

export interface AccountsOptions {
  config: Config;
  db: SqliteDatabase;
  events: EventBus;
  log: Logger;
  clock?: () => number;
  /** Whether the server itself serves TLS (cookies get the Secure flag). */
  tls?: boolean;
}

export interface Accounts {
  module: Module;
  service: AccountsService;
  guards: AccountsGuards;
}

/**
 * Builds the accounts module. Its guards are what every other module receives as `ctx.auth`, so the
 * composition root creates accounts first. Migrations must be applied before the service is used.
 */
export function createAccounts(options: AccountsOptions): Accounts {
  const settings = options.config.read(accountsSettings);
  const core = options.config.read(coreSettings);
  const clock = options.clock ?? Date.now;
  const store = createSqliteAccountsStore(options.db);
  const throttle = new LoginThrottle({
    perUser: settings.loginMaxFailuresPerUser,
    perIp: settings.loginMaxFailuresPerIp,
    clock,
  });
  const service = createAccountsService({
    store,
    events: options.events,
    log: options.log,
    sessionTtlMs: settings.sessionTtl,
    throttle,
    clientToken: settings.clientToken,
    clock,
  });
  let parseCookie: (header: string) => Record<string, string | undefined> = () => ({});
  const guards = createGuards({ service, parseCookie: (header) => parseCookie(header) });
  const secureCookies = options.tls === true || (core.publicUrl?.startsWith('https://') ?? false);
  let sweeper: NodeJS.Timeout | undefined;

  options.events.defineTopic({
    pattern: USERS_TOPIC,
    history: 100,
    authorize: (principal) => principal.kind === 'user' && principal.role === 'admin',
  });

  const module: Module = {
    name: 'accounts',
    settings: accountsSettings,
    migrations: accountsMigrations,
    routes(app: HttpApp) {
      // Cookies are parsed on demand by the guards, not on every request.
      void app.register(cookie, { hook: false });
      app.after(() => {
        parseCookie = (header) => app.parseCookie(header);
      });
      const deps = { service, guards, settings, secureCookies };
      registerAuthRoutes(app, deps);
      registerSelfRoutes(app, deps);
      registerUserRoutes(app, deps);
    },
    async start(ctx) {
      const sweep = async () => {
        try {
          const removed = await service.sweepExpiredSessions();
          if (removed > 0) ctx.log.info({ removed }, 'expired sessions swept');
        } catch (error) {
          ctx.log.error({ err: error }, 'session sweep failed');
        }
      };
      await sweep();
      sweeper = setInterval(sweep, settings.sessionSweepInterval);
      sweeper.unref();
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
    },
  };
  return { module, service, guards };
}
