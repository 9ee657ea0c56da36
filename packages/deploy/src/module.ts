// The deploy module: projects and stages in the store, Docker through dockerode, the built-in reverse proxy
// (routes restored before it listens), the TLS edge driver, the deploy queue and its reconciliation at
// start, the registry webhook and poller, and events for the UI's live views.

import { randomBytes } from 'node:crypto';
import {
  coreSettings,
  dockerSettings,
  type Logger,
  type Module,
  moduleKey,
  type Principal,
  type SettingValues,
  type StoreDriver,
  Type,
} from '@homeport/core';
import type { Deployer } from './deployer/deployer.js';
import type { RuntimeLogCollector } from './deployer/runtime-logs.js';
import type { DeployNotifier } from './deployer/steps.js';
import type { EdgeDriver } from './edge/index.js';
import type { DeployRecord } from './model.js';
import type { ReverseProxy } from './proxy/index.js';
import type { RegistryClient } from './registry/index.js';
import type { ContainerRuntime } from './runtime/index.js';
import type { SecretBox } from './secrets.js';
import type { DeployService } from './service.js';
import { deployNodeName, deploySettings, proxyWorkerCount } from './settings.js';
import { createKvDeployStore, createSqliteDeployStore, deployMigrations } from './store/index.js';
import type { DeployStore } from './store/repositories.js';

export interface DeployApi {
  service: DeployService;
  store: DeployStore;
  proxy: ReverseProxy;
  runtime: ContainerRuntime;
  deployer: Deployer;
  /** Where the built-in proxy listens (after start). */
  proxyPort(): number | undefined;
  webhookToken(): string;
}

export const DEPLOY = moduleKey<DeployApi>('deploy');

/** Topics: a stage's deploys changed; a deploy's log lines; a release's container output. */
export const DEPLOYS_TOPIC = 'deploy.deploys';
export const deployLogTopic = (deployId: string) => `deploy.logs.${deployId}`;
export const runtimeLogTopic = (releaseId: string) => `deploy.runtime.${releaseId}`;

export interface DeployModuleOptions {
  /** Milliseconds of the queue poll (tests shorten it). */
  pollMs?: number;
  /** How often the registry poller looks for projects whose interval is due (default 5 s; tests shorten it). */
  pollerTickMs?: number;
  /**
   * Posts a line in a bus room as an account (the composition root wires it to the bus; this package never
   * imports the bus). Used with HOMEPORT_DEPLOY_ROOM and HOMEPORT_DEPLOY_ROOM_AS.
   */
  announce?: (target: { roomId: string; userId: string; username: string }, text: string) => Promise<void>;
}

/**
 * What the module runs, imported when it initialises rather than with its declaration: the composition reads
 * every module's name, settings and migrations at start, and with Docker absent deploy is off and none of
 * this (deployer, proxy, registry client, routes) is loaded (start-up time, issue 15).
 */
async function loadImplementation() {
  const [
    deployer,
    drift,
    reconcile,
    runtimeLogs,
    edge,
    poller,
    proxy,
    registry,
    configRoutes,
    deployRoutes,
    webhook,
    runtime,
    secrets,
    service,
  ] = await Promise.all([
    import('./deployer/deployer.js'),
    import('./deployer/drift.js'),
    import('./deployer/reconcile.js'),
    import('./deployer/runtime-logs.js'),
    import('./edge/index.js'),
    import('./poller.js'),
    import('./proxy/index.js'),
    import('./registry/index.js'),
    import('./routes/config-routes.js'),
    import('./routes/deploy-routes.js'),
    import('./routes/webhook.js'),
    import('./runtime/index.js'),
    import('./secrets.js'),
    import('./service.js'),
  ]);
  return {
    ...deployer,
    ...drift,
    ...reconcile,
    ...runtimeLogs,
    ...edge,
    ...poller,
    ...proxy,
    ...registry,
    ...configRoutes,
    ...deployRoutes,
    ...webhook,
    ...runtime,
    ...secrets,
    ...service,
  };
}
type Implementation = Awaited<ReturnType<typeof loadImplementation>>;

const STATUS_MARK: Record<string, string> = {
  succeeded: 'deployed',
  failed: 'FAILED',
  rolled_back: 'ROLLED BACK',
  cancelled: 'cancelled',
  superseded: 'superseded',
};

/** One line per finished deploy: who, what, how it ended (never a secret: reasons are masked at the source). */
export function announcementText(deploy: DeployRecord, project: string, stage: string): string {
  const what = `${deploy.tag ?? ''}${deploy.digest ? ` (${deploy.digest.slice(0, 19)})` : ''}`.trim();
  const end = deploy.error ? ` at ${deploy.error.step}: ${deploy.error.reason}` : '';
  return `${project}/${stage}: deploy #${deploy.seq} ${what} ${STATUS_MARK[deploy.status] ?? deploy.status}${end} [${deploy.trigger}]`;
}

async function storeOf(driver: StoreDriver): Promise<DeployStore> {
  return driver.kind === 'sqlite' ? createSqliteDeployStore(driver.db) : createKvDeployStore(driver.kv);
}

const isAdmin = (principal: Principal) => principal.kind === 'user' && principal.role === 'admin';

/** Blue-green container deploys per project and stage. Needs Docker (HOMEPORT_DOCKER_HOST or the local socket). */
export function createDeployModule(moduleOptions: DeployModuleOptions = {}): Module<DeployApi> {
  let parts:
    | {
        service: DeployService;
        store: DeployStore;
        proxy: ReverseProxy;
        runtime: ContainerRuntime;
        deployer: Deployer;
        logs: RuntimeLogCollector;
        webhookToken: string;
        box: SecretBox;
        registry: RegistryClient;
        /** This replica's node name, and whether it runs a stage's deploys. */
        node: string;
        runsStage(stage: { config: { node: string | null } }): boolean;
      }
    | undefined;
  let proxyPort: number | undefined;
  let edge: EdgeDriver | undefined;
  const stops: (() => void)[] = [];
  let settingsView: { proxy: string; proxyWorkers: number; edge: string; docker: string } | undefined;
  let shutdownTimeoutMs = 60_000;
  let implementation: Implementation | undefined;
  const loaded = () => {
    if (!implementation) throw new Error('the deploy module is not initialised yet');
    return implementation;
  };

  const ready = () => {
    if (!parts) throw new Error('the deploy module is not initialised yet');
    return parts;
  };

  return {
    name: 'deploy',
    description:
      'blue-green container deploys per project and stage: health gates, proxy switch, promote, rollback',
    settings: [deploySettings],
    requires: ['docker'],
    migrations: deployMigrations,

    async init(ctx) {
      implementation = await loadImplementation();
      const {
        compileTagPattern,
        createDeployer,
        createDeployService,
        createDockerRuntime,
        createProxy,
        createProxyWorkerPool,
        createRegistryClient,
        createRuntimeLogCollector,
        newId,
        openSecretBox,
      } = implementation;
      const settings = ctx.config.read(deploySettings);
      // HOMEPORT_SHUTDOWN_TIMEOUT ends the whole process (exit 1) however far its steps got: deploys still
      // running when the wait ends must be cancelled and cleaned up inside it, so the wait stops short of it.
      const processBound = ctx.config.read(coreSettings).shutdownTimeout;
      shutdownTimeoutMs = Math.min(
        settings.shutdownTimeout,
        Math.max(0, processBound - Math.min(3_000, processBound / 2)),
      );
      if (shutdownTimeoutMs < settings.shutdownTimeout)
        ctx.log.info(
          {
            deployShutdownMs: settings.shutdownTimeout,
            processShutdownMs: processBound,
            waitMs: shutdownTimeoutMs,
          },
          'deploy: running deploys get less than HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT at shutdown (HOMEPORT_SHUTDOWN_TIMEOUT is shorter)',
        );
      const store = await storeOf(ctx.store);
      const box = await openSecretBox(ctx.secrets);
      const log = ctx.log;
      const { dockerHost } = ctx.config.read(dockerSettings);
      const runtime = createDockerRuntime({ dockerHost, log });
      const registry = createRegistryClient({ timeoutMs: 15_000, maxBytes: 4 << 20, log });
      const node = deployNodeName(settings.node);
      const probeToken = randomBytes(24).toString('base64url');
      const proxyOptions = {
        log: log.child({ component: 'proxy' }),
        metrics: ctx.metrics.registry,
        limits: { maxBodyBytes: settings.proxyMaxBody, upstreamTimeoutMs: settings.proxyUpstreamTimeout },
        probeToken,
        // Caddy or nginx in front runs on this machine: what it says of the client (https above all) is kept.
        ...(settings.edge === 'none' ? {} : { trustForwardedFrom: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] }),
      };
      const proxyWorkers = proxyWorkerCount(settings.proxyWorkers);
      const proxy: ReverseProxy =
        proxyWorkers > 1
          ? createProxyWorkerPool({ ...proxyOptions, count: proxyWorkers })
          : createProxy(proxyOptions);
      const publish = (topic: string, type: string, data: unknown) => {
        ctx.events
          .publish(topic, type, data)
          .catch((err: unknown) => log.debug({ err, topic }, 'deploy event not published'));
      };
      ctx.events.defineTopic({ pattern: DEPLOYS_TOPIC, history: 100, authorize: isAdmin });
      ctx.events.defineTopic({ pattern: 'deploy.logs.*', history: 100, authorize: isAdmin });
      ctx.events.defineTopic({ pattern: 'deploy.runtime.*', history: 100, authorize: isAdmin });
      const announce = moduleOptions.announce;
      const room = settings.room;
      const roomAs = settings.roomAs;
      if ((room === undefined) !== (roomAs === undefined))
        log.warn('deploy: HOMEPORT_DEPLOY_ROOM and HOMEPORT_DEPLOY_ROOM_AS go together; no announcements');
      const notifier: DeployNotifier = {
        deployChanged: (deploy) => publish(DEPLOYS_TOPIC, 'deploy.changed', deploy),
        logLines: (deployId, lines) => publish(deployLogTopic(deployId), 'deploy.log', lines),
        ...(announce && room && roomAs
          ? {
              deployFinished: (deploy) => {
                void (async () => {
                  const account = await ctx.users.find(roomAs);
                  if (account?.status !== 'active')
                    throw new Error(`HOMEPORT_DEPLOY_ROOM_AS ${roomAs} is not an active account`);
                  const project = await store.projects.get(deploy.projectId);
                  const stage = await store.stages.get(deploy.stageId);
                  await announce(
                    { roomId: room, userId: account.id, username: account.username },
                    announcementText(deploy, project?.name ?? '?', stage?.name ?? '?'),
                  );
                })().catch((err: unknown) =>
                  log.warn({ err, room }, 'deploy: the announcement was not posted'),
                );
              },
            }
          : {}),
      };
      const logs = createRuntimeLogCollector({
        runtime,
        store,
        log,
        onLines: (releaseId, lines) => publish(runtimeLogTopic(releaseId), 'runtime.log', lines),
      });
      const runsStage = (stage: { config: { node: string | null } }) =>
        stage.config.node === null || stage.config.node === node;
      let service: DeployService | undefined;
      const registryAuth = (project: Parameters<DeployService['registryAuth']>[0]) =>
        service?.registryAuth(project);
      const deployer = createDeployer({
        store,
        runtime,
        registry: {
          resolveDigest: (image, tag, auth) => registry.resolveDigest(image, tag, auth),
        },
        proxy,
        proxyPort: () => proxyPort,
        probeToken,
        box,
        notifier,
        runtimeLogs: logs,
        allocatePort: freeLoopbackPort,
        registryAuth,
        newId,
        log,
        clock: ctx.clock,
        runner: node,
        runsStage,
        pollMs: moduleOptions.pollMs ?? settings.pollMs,
      });
      // The edge is opened in start(), once the proxy's port is known; until then host changes wait for it.
      const hostsChanged = async () => {
        if (!edge) return;
        await edge.sync(await publicHosts(store));
      };
      service = createDeployService({
        store,
        deployer,
        runtime,
        proxy,
        box,
        compileTagPattern,
        hostsChanged,
        resolveDigest: (image, tag, auth) => registry.resolveDigest(image, tag, auth),
        log,
        clock: ctx.clock,
      });
      const webhookToken =
        settings.webhookToken ??
        (await ctx.secrets.get('deploy-webhook-token', () => randomBytes(32).toString('base64url')));
      parts = {
        service,
        store,
        proxy,
        runtime,
        deployer,
        logs,
        webhookToken,
        box,
        registry,
        node,
        runsStage,
      };
      settingsView = {
        proxy: `${settings.proxyBind}:${settings.proxyPort}`,
        proxyWorkers,
        edge: settings.edge,
        docker: dockerHost,
      };
      ctx.lifecycle.onShutdown('deploy proxy', () => proxy.close());
    },

    prefix: '/api/v1/deploy',

    routes(app, ctx) {
      const p = ready();
      const { parseNotificationEnvelope, registerConfigRoutes, registerDeployRoutes, registerWebhookRoute } =
        loaded();
      registerDeployRoutes(app, { service: p.service, store: p.store, auth: ctx.auth });
      registerConfigRoutes(app, { service: p.service, store: p.store, box: p.box, auth: ctx.auth });
      registerWebhookRoute(app, {
        token: () => p.webhookToken,
        parse: (body) =>
          parseNotificationEnvelope(body)
            .pushes.filter((push) => push.tag !== undefined)
            .map((push) => ({
              id: push.id,
              registryHost: push.registryHost,
              repository: push.repository,
              tag: push.tag ?? '',
              digest: push.digest,
            })),
        claims: p.store.webhookEvents,
        onPush: (event) => p.service.onPush(event, 'webhook'),
        log: ctx.log,
        clock: ctx.clock,
      });
      app.get(
        '/webhooks/registry/token',
        {
          onRequest: ctx.auth.requireAdmin,
          schema: {
            tags: ['deploy'],
            summary: 'The registry webhook token (admin)',
            response: { 200: Type.Object({ token: Type.String() }) },
          },
        },
        async () => ({ token: p.webhookToken }),
      );
    },

    async start(ctx) {
      const p = ready();
      const { createPoller, reconcile, watchDrift } = loaded();
      const settings = ctx.config.read(deploySettings);
      try {
        await p.runtime.ping();
        await reconcile({
          store: p.store,
          runtime: p.runtime,
          proxy: p.proxy,
          runner: p.node,
          runsStage: p.runsStage,
          log: ctx.log,
          clock: ctx.clock,
        });
        for (const live of await p.store.live.list()) {
          const release = await p.store.releases.get(live.releaseId);
          if (release) p.logs.follow(live.containerId, release.id, [], ctx.clock());
        }
      } catch (err) {
        // Docker down at start: the API still answers; deploys fail with runtime_unavailable until it is back.
        ctx.log.error({ err }, 'deploy: Docker is not reachable; deploys will fail until it is');
      }
      proxyPort = await p.proxy.listen(settings.proxyBind, settings.proxyPort);
      edge = openEdge(loaded(), settings, proxyPort, ctx.log);
      await edge
        .sync(await publicHosts(p.store))
        .catch((err: unknown) => ctx.log.error({ err }, 'deploy: the TLS edge could not be brought in line'));
      p.deployer.start();
      stops.push(
        watchDrift({
          runtime: p.runtime,
          store: p.store,
          log: ctx.log,
          onDrift: (drift) => {
            ctx.events
              .publish(DEPLOYS_TOPIC, 'stage.drift', drift)
              .catch((err: unknown) => ctx.log.debug({ err }, 'drift event not published'));
          },
        }),
      );
      const poller = createPoller({
        store: p.store,
        onPush: (event) => p.service.onPush(event, 'poller'),
        registryAuth: (project) => p.service.registryAuth(project),
        registry: p.registry,
        log: ctx.log,
        clock: ctx.clock,
      });
      stops.push(
        ctx.singleton.every('deploy.poller', moduleOptions.pollerTickMs ?? 5_000, () => poller.tick()),
      );
    },

    describe() {
      return settingsView
        ? [
            `deploy:   proxy on ${settingsView.proxy.replace(/:0$/, `:${proxyPort ?? 0}`)}${settingsView.proxyWorkers > 1 ? ` (${settingsView.proxyWorkers} worker processes)` : ''}, edge ${settingsView.edge}, docker ${settingsView.docker}`,
          ]
        : [];
    },

    health() {
      return { deploy: { proxyPort: proxyPort ?? null, running: parts?.deployer.running().length ?? 0 } };
    },

    async stop() {
      for (const stop of stops.splice(0)) stop();
      const p = parts;
      if (!p) return;
      await p.deployer.stop(shutdownTimeoutMs);
      await p.logs.close();
      await edge?.close();
      await p.proxy.close();
    },

    api() {
      const p = ready();
      return {
        service: p.service,
        store: p.store,
        proxy: p.proxy,
        runtime: p.runtime,
        deployer: p.deployer,
        proxyPort: () => proxyPort,
        webhookToken: () => p.webhookToken,
      };
    },
  };
}

type DeploySettings = SettingValues<typeof deploySettings>;
const publicHosts = async (store: DeployStore): Promise<string[]> =>
  (await store.stages.list()).map((s) => s.config.host).filter((h): h is string => h !== null);

/** A free loopback port for a new color (bound and released: the container binds it a moment later). */
async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The TLS edge in front of the built-in proxy, pointed at the port it listens on. */
function openEdge(
  { createCaddyEdge, createNginxEdge, createNoEdge }: Implementation,
  settings: DeploySettings,
  proxyPort: number,
  log: Logger,
): EdgeDriver {
  const upstream = `127.0.0.1:${proxyPort}`;
  switch (settings.edge) {
    case 'caddy':
      return createCaddyEdge({
        adminUrl: settings.caddyAdmin,
        proxyUpstream: upstream,
        listen: settings.edgeListen ?? [':443'],
        tls: settings.caddyTls,
        log,
      });
    case 'nginx':
      return createNginxEdge({
        confDir: settings.nginxConfDir,
        proxyUpstream: upstream,
        listen: settings.edgeListen ?? ['80'],
        log,
      });
    default:
      return createNoEdge();
  }
}
