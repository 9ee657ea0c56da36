// The NAS control-plane module: store, service, routes, the node-status loop, and the live topics.

import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  type Module,
  type ModuleContext,
  type Principal,
  persistedSecret,
} from '@homeport/core';
import { nasSettings } from '../settings.js';
import { registerClientRoutes } from './routes/client-routes.js';
import { registerNodeRoutes } from './routes/node-routes.js';
import {
  createNasService,
  EXPORTS_TOPIC,
  type NasService,
  NODES_TOPIC,
  SHARED_TOPIC,
  SHARES_TOPIC_PREFIX,
  sharesTopic,
} from './service.js';
import { nasMigrations } from './store/migrations.js';
import { createSqliteNasStore } from './store/sqlite-store.js';

export interface NasControl {
  module: Module;
  /** Available once `routes` ran (the composition root calls it before anything else). */
  service(): NasService;
  /** The bootstrap token agents register with (configured or generated into the data dir). */
  bootstrapToken(ctx: ModuleContext): string;
}

const generated = () => randomBytes(32).toString('base64url');

export function createNasControl(): NasControl {
  let service: NasService | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const bootstrapToken = (ctx: ModuleContext) =>
    ctx.config.read(nasSettings).nodeBootstrapToken ??
    persistedSecret(ctx.dataDir, 'node-bootstrap-token', generated);

  const build = (ctx: ModuleContext): NasService => {
    const settings = ctx.config.read(nasSettings);
    const davAuthSecret =
      settings.davAuthSecret ?? persistedSecret(ctx.dataDir, 'dav-auth-secret', generated);
    // betterNAS agent hosts hold their secret; were it also the root of the per-node keys, any of them
    // could mint credentials for every Homeport agent too.
    if (settings.betternasDavAuthSecret === davAuthSecret) {
      throw new ConfigError([
        'BETTERNAS_DAV_AUTH_SECRET must differ from HOMEPORT_DAV_AUTH_SECRET: every betterNAS agent host holds the first; the second must stay on the control plane',
      ]);
    }
    const source = ctx.config.sourceOf(nasSettings.defaultAccess);
    return createNasService({
      store: createSqliteNasStore(ctx.db),
      events: ctx.events,
      log: ctx.log,
      users: ctx.users,
      bootstrapToken: bootstrapToken(ctx),
      davAuthSecret,
      betternasSecret: settings.betternasDavAuthSecret,
      defaultAccess: {
        configured: settings.defaultAccess,
        managed:
          source === 'default'
            ? null
            : {
                source,
                name: source === 'file' ? nasSettings.defaultAccess.key : nasSettings.defaultAccess.env,
              },
      },
      nextcloudBaseUrl: settings.nextcloudBaseUrl,
      credentialTtlMs: settings.davCredentialTtl,
      offlineThresholdMs: settings.nodeOfflineThreshold,
      clock: ctx.clock,
    });
  };

  const module: Module = {
    name: 'nas',
    settings: nasSettings,
    migrations: nasMigrations,
    routes(app, ctx) {
      service = build(ctx);
      // Node and export events name every node and export: admins only. A member hears on their own topic
      // that their view changed (no ids) and reloads it from the API, which filters it for them.
      const isAdmin = (principal: Principal) => principal.kind === 'user' && principal.role === 'admin';
      ctx.events.defineTopic({ pattern: NODES_TOPIC, history: 50, authorize: isAdmin });
      ctx.events.defineTopic({ pattern: EXPORTS_TOPIC, history: 50, authorize: isAdmin });
      ctx.events.defineTopic({
        pattern: `${SHARES_TOPIC_PREFIX}*`,
        history: 10,
        authorize: (principal, topic) => principal.kind === 'user' && topic === sharesTopic(principal.userId),
      });
      // "Exports changed" for members while a default access is on: no ids, any signed-in user.
      ctx.events.defineTopic({
        pattern: SHARED_TOPIC,
        history: 10,
        authorize: (principal) => principal.kind === 'user',
      });
      registerNodeRoutes(app, service);
      registerClientRoutes(app, service, ctx.auth);
      // Mount credentials end with the access they were issued under, not up to a day later.
      const current = service;
      unsubscribe = ctx.users.onAccessNarrowed((change) =>
        current.accessNarrowed(change).then(() => undefined),
      );
    },
    health() {
      return service ? { nextcloud: service.nextcloudHealth() } : {};
    },
    async start(ctx) {
      const { nodeOfflineThreshold } = ctx.config.read(nasSettings);
      const every = Math.max(250, Math.min(5000, nodeOfflineThreshold / 8));
      const tick = async () => {
        try {
          await service?.refreshStatuses();
        } catch (error) {
          ctx.log.error({ err: error }, 'node status refresh failed');
        }
      };
      timer = setInterval(tick, every);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      unsubscribe?.();
    },
  };

  return {
    module,
    bootstrapToken,
    service() {
      if (!service) throw new Error('nas routes are not registered yet');
      return service;
    },
  };
}
