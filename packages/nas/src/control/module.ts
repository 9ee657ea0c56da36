// The NAS module: the control plane (store, service, routes, node-status loop, live topics) and the
// embedded agent.

import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  coreSettings,
  type Module,
  moduleKey,
  type Principal,
  type StartContext,
  type StoreDriver,
} from '@homeport/core';
import type { Agent } from '../agent/agent.js';
import { agentFromConfig } from '../agent/embedded.js';
import { agentSettings, nasSettings } from '../settings.js';
import { keepPageOrigins } from './page-origins.js';
import { registerClientRoutes } from './routes/client-routes.js';
import { registerManagedExportRoutes } from './routes/managed-export-routes.js';
import { registerNodeRoutes } from './routes/node-routes.js';
import { registerShareRoutes } from './routes/share-routes.js';
import {
  createNasService,
  EXPORTS_TOPIC,
  type NasService,
  NODES_TOPIC,
  SHARED_TOPIC,
  SHARES_TOPIC_PREFIX,
  sharesTopic,
} from './service.js';
import { createKvNasStore } from './store/kv-store.js';
import { nasMigrations } from './store/migrations.js';
import type { NasStore } from './store/repositories.js';
import { createSqliteNasStore } from './store/sqlite-store.js';

/** What the NAS module offers the composition root, the CLI and tests. */
export interface NasApi {
  service: NasService;
  /** The bootstrap token agents register with (configured or generated into the data dir). */
  bootstrapToken: string;
  /** The embedded agent's WebDAV base URL once it runs. */
  davUrl: string | undefined;
  /** The embedded agent, when it runs. */
  agent: Agent | undefined;
}

export const NAS = moduleKey<NasApi>('nas');

const generated = () => randomBytes(32).toString('base64url');

/** The NAS repositories on whichever store Homeport runs on. */
async function storeOf(driver: StoreDriver): Promise<NasStore> {
  return driver.kind === 'sqlite' ? createSqliteNasStore(driver.db) : createKvNasStore(driver.kv);
}

export interface NasModuleOptions {
  /** Homeport's version, reported by the embedded agent. */
  version: string;
}

/**
 * The NAS control plane: store, service, routes, the node-status loop, the live topics, and the embedded
 * agent (`HOMEPORT_EMBEDDED_AGENT`), which starts once the server listens and registers over loopback
 * exactly as a remote agent would.
 */
export function createNasModule(options: NasModuleOptions): Module<NasApi> {
  let service: NasService | undefined;
  let bootstrapToken: string | undefined;
  let stopStatusLoop: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let embedded: (Agent & { close(): Promise<void> }) | undefined;
  let davUrl: string | undefined;
  /** This server's own origin, known once it listens: the agents' CORS origin when HOMEPORT_PUBLIC_URL is unset. */
  let serverOrigin: string | undefined;
  /** Reads the nodes' addresses into the pages' CSP (page-origins.ts); set when the routes are. */
  let refreshPageOrigins: (() => Promise<void>) | undefined;

  const ready = (): NasService => {
    if (!service) throw new Error('the nas module is not initialised yet');
    return service;
  };

  return {
    name: 'nas',
    description: 'storage: nodes, exports, sharing, WebDAV mount credentials (and the embedded agent)',
    settings: [nasSettings, agentSettings],
    migrations: nasMigrations,

    async init(ctx) {
      const settings = ctx.config.read(nasSettings);
      bootstrapToken =
        settings.nodeBootstrapToken ?? (await ctx.secrets.get('node-bootstrap-token', generated));
      const davAuthSecret = settings.davAuthSecret ?? (await ctx.secrets.get('dav-auth-secret', generated));
      // betterNAS agent hosts hold their secret; were it also the root of the per-node keys, any of them
      // could mint credentials for every Homeport agent too.
      if (settings.betternasDavAuthSecret === davAuthSecret) {
        throw new ConfigError([
          'BETTERNAS_DAV_AUTH_SECRET must differ from HOMEPORT_DAV_AUTH_SECRET: every betterNAS agent host holds the first; the second must stay on the control plane',
        ]);
      }
      const source = ctx.config.sourceOf(nasSettings.defaultAccess);
      service = createNasService({
        store: await storeOf(ctx.store),
        events: ctx.events,
        log: ctx.log,
        users: ctx.users,
        bootstrapToken,
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
        passwords: ctx.passwords,
        // The embedded agent applies an admin's change at once instead of at its next heartbeat.
        onManagedExportsChanged: () => embedded?.nudge(),
        publicUrl: () => ctx.config.read(coreSettings).publicUrl?.replace(/\/+$/, ''),
      });
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
      // Mount credentials end with the access they were issued under, not up to a day later.
      const current = service;
      unsubscribe = ctx.users.onAccessNarrowed((change) =>
        current.accessNarrowed(change).then(() => undefined),
      );
    },

    routes(app, ctx) {
      refreshPageOrigins = keepPageOrigins(app, ready, ctx.log, () => (davUrl === undefined ? [] : [davUrl]));
      registerNodeRoutes(app, ready(), {
        // The browser's files page talks to agents directly: its origin is the public URL's, or this server's.
        allowedOrigins: () => {
          const publicUrl = ctx.config.read(coreSettings).publicUrl;
          const origin = publicUrl ? new URL(publicUrl).origin : serverOrigin;
          return origin === undefined ? [] : [origin];
        },
      });
      registerClientRoutes(app, ready(), ctx.auth);
      registerShareRoutes(app, ready(), ctx.auth);
      registerManagedExportRoutes(app, ready(), ctx.auth);
    },

    health() {
      return service ? { nextcloud: service.nextcloudHealth() } : {};
    },

    async start(ctx) {
      serverOrigin = new URL(ctx.serverUrl).origin;
      const { nodeOfflineThreshold } = ctx.config.read(nasSettings);
      const every = Math.max(250, Math.min(5000, nodeOfflineThreshold / 8));
      // Once per cluster: status changes are published once, not by every replica.
      stopStatusLoop = ctx.singleton.every('nas.status', every, async () => {
        await service?.refreshStatuses();
      });
      await refreshPageOrigins?.();
      if (ctx.config.read(agentSettings).embedded) {
        await startEmbeddedAgent(ctx);
        // Its address is known now, before it registers: pages served from now on may reach it.
        await refreshPageOrigins?.();
      }
    },

    async stop() {
      stopStatusLoop?.();
      unsubscribe?.();
    },

    describe() {
      return davUrl ? [`webdav:   ${davUrl} (embedded agent)`] : [];
    },

    api() {
      return {
        service: ready(),
        bootstrapToken: bootstrapToken ?? '',
        davUrl,
        agent: embedded,
      };
    },
  };

  async function startEmbeddedAgent(ctx: StartContext): Promise<void> {
    const core = ctx.config.read(coreSettings);
    const agent = agentFromConfig({
      config: ctx.config,
      log: ctx.log,
      version: options.version,
      embedded: {
        controlPlaneUrl: ctx.serverUrl,
        bootstrapToken: bootstrapToken ?? '',
        dataDir: ctx.dataDir,
        bind: core.bind,
        publicUrl: core.publicUrl,
      },
    });
    embedded = agent;
    // Registered after the HTTP server's step, so it stops first: no heartbeats into a closing server.
    ctx.lifecycle.onShutdown('agent', () => agent.close());
    try {
      davUrl = await agent.start();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new ConfigError([
        `HOMEPORT_DAV_PORT: port ${ctx.config.read(agentSettings).davPort} is in use; the embedded NAS agent needs a free one ` +
          '(set HOMEPORT_DAV_PORT, or HOMEPORT_EMBEDDED_AGENT=false to run without it)',
      ]);
    }
  }
}
