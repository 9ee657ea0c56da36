// Composes modules into a running Homeport: store, events, metrics, lifecycle and HTTP server, then the base
// module (accounts) and every other module through init → routes → start → stop. The app adds its catalogue,
// settings list and web UI; tests compose a module or two (see @homeport/accounts/testing).

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { coreSettings } from '../config/core-settings.js';
import { type Config, ConfigError } from '../config/load.js';
import { dockerRequirement, dockerSettings } from '../docker/settings.js';
import type { EventBus } from '../events/hub.js';
import { createEventHub } from '../events/in-process-hub.js';
import { createNatsEventHub } from '../events/nats-hub.js';
import { publishOrLog } from '../events/publish-or-log.js';
import { type EventStreams, registerEventRoutes } from '../events/routes.js';
import { createSseRegistry } from '../events/sse.js';
import { createHttpServer, type HttpApp, type HttpServerOptions } from '../http/server.js';
import { createLifecycle, type Lifecycle } from '../lifecycle.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import type { Module, ModuleContext, ModuleKey, StartContext } from '../module.js';
import { type NatsHandle, openNats } from '../nats/open.js';
import { natsSettings } from '../nats/settings.js';
import { checkKvFormat } from '../store/kv-format.js';
import { kvSingleton, localSingleton } from '../store/lease.js';
import { startPresence } from '../store/presence.js';
import { fileVault, kvVault } from '../store/secret-vault.js';
import { applyMigrations, exposedDirMode, type SqliteDatabase } from '../store/sqlite.js';
import type { BaseModuleFactory } from './base-module.js';
import { type ModuleOff, type RequirementProbes, selectModules } from './module-selection.js';
import { openState } from './open-state.js';

export interface ComposeOptions {
  config: Config;
  /** The module every other builds on (accounts): always on, created first. */
  base: BaseModuleFactory;
  /** The other modules, in start order; each one whose requirements are unmet or left out by --modules is off. */
  catalogue: readonly Module[];
  /** Reported by `/version` and the metrics. */
  version: string;
  log?: Logger | undefined;
  clock?: (() => number) | undefined;
  /** Process metrics (event-loop lag etc.); tests building many apps turn them off. */
  collectProcessMetrics?: boolean | undefined;
  /** How requirements are checked (tests replace them); default: module-selection.ts. */
  requirements?: RequirementProbes | undefined;
  /** Answers a request no route matched (the web UI's pages), as in createHttpServer. */
  fallback?: HttpServerOptions['fallback'] | undefined;
  /**
   * Routes the caller adds after the modules' and the event streams', before the server is ready (the web
   * UI); `log` is the composition's logger.
   */
  routes?: ((app: HttpApp, log: Logger) => Promise<void>) | undefined;
}

/** A composed Homeport. */
export interface Composition {
  app: HttpApp;
  /** What state runs on: SQLite in the data dir, or NATS JetStream KV. */
  store: 'sqlite' | 'kv';
  /** The SQLite database (sqlite store only; throws on kv). */
  sqlite(): SqliteDatabase;
  events: EventBus;
  /** The open event streams (re-checked when a principal's access changes). */
  eventStreams: EventStreams;
  lifecycle: Lifecycle;
  log: Logger;
  /** The modules that run, the base module (accounts) first. */
  modules: readonly Module[];
  /** The modules that do not run, each with why (a requirement not met, or left out by --modules). */
  modulesOff: readonly ModuleOff[];
  /** What a running module offers (its `api()`); undefined when it does not run. */
  module<Api>(key: ModuleKey<Api>): Api | undefined;
  /** The same, for a module that must run (accounts; a test's module): throws when it does not. */
  requireModule<Api>(key: ModuleKey<Api>): Api;
  dataDir: string;
  /** Starts listening and the modules' background work; resolves to the address. */
  listen(): Promise<string>;
  /** Graceful stop (same as SIGTERM without exiting). */
  close(): Promise<void>;
  /** Lines the running modules add to the start-up summary (e.g. where WebDAV answers). */
  describe(): string[];
}

/** On KV, generated secrets are sealed with the secret key: every replica must be given the same one. */
function requiredSecretKey(secretKey: string | undefined): string {
  if (secretKey === undefined) {
    throw new ConfigError([
      'HOMEPORT_STORE=kv needs HOMEPORT_SECRET_KEY (the same on every replica): generated secrets are kept in the store, sealed with it',
    ]);
  }
  return secretKey;
}

/**
 * Builds the HTTP app with the base module and every selected module of the catalogue registered; nothing
 * listens until `listen()`.
 *
 * @example
 * const homeport = await composeModules({
 *   config: new Config({ env: process.env }),
 *   base: accountsBase, // @homeport/accounts
 *   catalogue: [createNasModule({ version })],
 *   version,
 * });
 * await homeport.listen();
 */
export async function composeModules(options: ComposeOptions): Promise<Composition> {
  const { config, base, catalogue } = options;
  config.validate([
    coreSettings,
    natsSettings,
    ...base.settings,
    ...catalogue.flatMap((module) => module.settings ?? []),
  ]);
  const core = config.read(coreSettings);
  const secretKey = base.secretKey(config);
  const log = options.log ?? createLogger({ level: core.logLevel });
  const clock = options.clock ?? Date.now;

  if ((core.tlsCert === undefined) !== (core.tlsKey === undefined)) {
    throw new ConfigError(['--tls-cert and --tls-key go together: give both or neither']);
  }
  const tls =
    core.tlsCert && core.tlsKey
      ? { cert: readFileSync(core.tlsCert), key: readFileSync(core.tlsKey) }
      : undefined;

  const state = await openState(config, { log, clock, secretKey });
  const { dataDir, db, nats, quorum, kvFor, storeFor, readinessProbe } = state;
  const exposed = exposedDirMode(dataDir);
  if (exposed !== undefined) {
    log.warn(
      { dataDir, mode: `0${exposed.toString(8)}` },
      `data dir is open to other users of this machine; its database and secrets are 0600, but restrict the folder too: chmod 700 ${dataDir}`,
    );
  }
  // On KV every replica's events reach every replica's subscribers (JetStream); on SQLite, one process.
  const natsEvents =
    nats &&
    createNatsEventHub({
      js: nats.js,
      nc: nats.nc,
      log: log.child({ component: 'events' }),
      clock,
      replicas: core.kvReplicas,
    });
  const events = natsEvents ?? createEventHub(clock);
  const metrics = createMetrics({ collectProcess: options.collectProcessMetrics ?? true });
  // NATS is opened for the kv store, or the first time a module that requires it is considered.
  let natsOpening: Promise<NatsHandle> | undefined = nats ? Promise.resolve(nats) : undefined;
  const natsHandle = () => {
    // The secret key names a managed cluster's identity (every node derives the same operator and accounts).
    natsOpening ??= openNats(config, { dataDir, log, metrics, secretKey });
    return natsOpening;
  };
  const selection = await selectModules(base.name, catalogue, core.modules, {
    async nats() {
      const handle = await natsHandle();
      return handle.state === 'on' ? { met: true } : { met: false, reason: handle.reason };
    },
    async docker() {
      return dockerRequirement(config.read(dockerSettings).dockerHost);
    },
    ...options.requirements,
  });
  for (const off of selection.off) log.info({ module: off.name }, `module ${off.name} is off: ${off.reason}`);
  const natsOn = natsOpening ? await natsOpening : undefined;
  const natsForModules = natsOn?.state === 'on' ? natsOn : undefined;
  const lifecycle = createLifecycle({ log, timeoutMs: core.shutdownTimeout });

  const app = await createHttpServer({
    log,
    metrics,
    version: options.version,
    bodyLimit: core.bodyLimit,
    corsOrigins: core.corsOrigins,
    // On KV the per-address budget is the cluster's, counted across replicas; on SQLite, this process's.
    rateLimit: { max: core.rateLimitMax, windowMs: core.rateLimitWindow, shared: kvFor('core') },
    allowedHosts: core.allowedHosts,
    metricsToken: core.metricsToken,
    trustProxy: core.trustProxy,
    ...(tls ? { tls } : {}),
    https: Boolean(tls) || (core.publicUrl?.startsWith('https://') ?? false),
    publicUrl: core.publicUrl,
    accessLog: core.accessLog,
    headersTimeoutMs: core.headersTimeout,
    requestTimeoutMs: core.requestTimeout,
    isDraining: () => lifecycle.draining,
    // Modules are built below; /health is not served before they are.
    healthDetails: () => Object.assign({}, ...modules.map((module) => module.health?.() ?? {})),
    readiness: async () => {
      if (!readinessProbe) return { ready: true };
      try {
        // Opened per call until it opens once (a failed open is not cached): quorum may come back.
        await (await readinessProbe.bucket('meta')).get('ready');
        return { ready: true };
      } catch (error) {
        return { ready: false, reason: `the store does not answer: ${(error as Error).message}` };
      }
    },
    ...(options.fallback ? { fallback: options.fallback } : {}),
  });

  // The base module's repositories may prepare statements when created, so its schema must exist first.
  if (db) applyMigrations(db, base.name, base.migrations);
  // On KV, the same question of the store's record format; a newer one refuses before anything reads it.
  const coreKv = kvFor('core');
  if (coreKv)
    await checkKvFormat(coreKv, options.version).catch(async (error: unknown) => {
      quorum?.stop();
      if (natsOn?.state === 'on') await natsOn.close();
      throw error;
    });
  // On KV, this process says it runs (a restore refuses while any replica does).
  const presence =
    coreKv &&
    startPresence({
      kv: coreKv,
      record: {
        holder: state.holder,
        hostname: hostname(),
        pid: process.pid,
        version: options.version,
        startedAt: new Date(clock()).toISOString(),
      },
      clock,
      log: log.child({ component: 'store' }),
    });
  const foundation = await base.create({
    config,
    store: storeFor(base.name),
    events,
    log: log.child({ module: base.name }),
    dataDir,
    clock,
    tls: Boolean(tls),
    // On KV, failed logins count for the cluster (a guesser gets one budget, not one per replica).
    sharedKv: kvFor(base.name),
  });
  const modules: Module[] = [foundation.module, ...selection.on];
  // Internal topic (`accounts.credentials`): some user's credential ended; every replica re-checks that
  // user's event streams.
  const credentialsTopic = `${base.name}.credentials`;
  const leases = kvFor('core');
  const secrets = leases ? kvVault(leases, requiredSecretKey(secretKey)) : fileVault(dataDir);
  const countRun = (job: string) => metrics.jobRuns.inc({ job });
  const singleton = leases
    ? kvSingleton({
        kv: leases,
        holder: state.holder,
        log,
        onRun: countRun,
      })
    : localSingleton(log, countRun);
  const contextOf = (module: Module): ModuleContext => ({
    config,
    log: log.child({ module: module.name }),
    store: storeFor(module.name),
    nats: natsForModules,
    singleton,
    secrets,
    events,
    auth: foundation.auth,
    users: foundation.users,
    passwords: foundation.passwords,
    metrics,
    lifecycle,
    dataDir,
    clock,
  });
  if (db) for (const module of modules) applyMigrations(db, module.name, module.migrations);
  try {
    for (const module of modules) await module.init?.(contextOf(module));
  } catch (error) {
    // A module that refuses to start (the bus's boot guard) must not leave the managed nats-server behind: it
    // outlives this process, and may listen on the network (HOMEPORT_BUS_LISTEN).
    await lifecycle.shutdown('a module failed to start');
    await presence?.stop();
    quorum?.stop();
    db?.close();
    if (natsOn?.state === 'on') await natsOn.close();
    throw error;
  }
  for (const module of modules) {
    const { routes } = module;
    if (!routes) continue;
    // Encapsulated: hooks and decorators a module adds stay in its own routes.
    await app.register(async (scope: HttpApp) => routes(scope, contextOf(module)), {
      prefix: module.prefix ?? '/api/v1',
    });
  }
  const sse = createSseRegistry({ metrics });
  const eventStreams = registerEventRoutes(app, { events, sse, auth: foundation.auth });
  // On every replica: a credential ended anywhere (logout, revoked token, disabled or demoted user) is
  // dropped from this replica's cache and the event streams it opened here are re-checked at once. The topic
  // is internal: no client may subscribe to it.
  events.defineTopic({ pattern: credentialsTopic, history: 0, authorize: () => false });
  foundation.onCredentialsEnded((userId) => {
    void publishOrLog(events, log, credentialsTopic, 'credentials.ended', { userId });
  });
  events.subscribe([credentialsTopic], (event) => {
    const { userId } = event.data as { userId?: unknown }; // validated just below
    if (typeof userId !== 'string') return;
    // Another replica ended it: this one's cache must not keep it alive for the rest of its second.
    foundation.forgetCachedCredentials(userId);
    void eventStreams.recheckUser(userId);
  });
  await options.routes?.(app, log);
  await app.ready();

  // Shutdown runs these in reverse: HTTP first (stop accepting, finish in-flight, end SSE), then the
  // modules in reverse start order, then the database.
  lifecycle.onShutdown('database', async () => {
    await presence?.stop();
    quorum?.stop();
    db?.close();
    await natsForModules?.close();
  });
  // After the modules stop and before NATS is drained (steps run in reverse order).
  if (natsEvents) lifecycle.onShutdown('events', () => natsEvents.close());
  const started: Module[] = [];
  lifecycle.onShutdown('modules', async () => {
    for (const module of [...started].reverse()) await module.stop?.();
  });
  lifecycle.onShutdown('http', async () => {
    const closing = app.close();
    sse.closeAll();
    // A keep-alive socket whose request finishes during the drain would otherwise stay open until its
    // keep-alive timeout; close each one as soon as it goes idle.
    const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
    try {
      await closing;
    } finally {
      clearInterval(reaper);
    }
  });

  const apis = new Map<string, Module>(modules.map((module) => [module.name, module]));
  const moduleApi = <Api>(key: ModuleKey<Api>): Api | undefined =>
    // The key's type parameter names what that module's api() returns (moduleKey in core/module.ts).
    apis.get(key.name)?.api?.() as Api | undefined;
  return {
    app,
    store: db ? 'sqlite' : 'kv',
    sqlite() {
      if (!db) throw new Error('this Homeport keeps its state in NATS KV (HOMEPORT_STORE=kv), not SQLite');
      return db;
    },
    events,
    eventStreams,
    lifecycle,
    log,
    modules,
    modulesOff: selection.off,
    module: moduleApi,
    requireModule<Api>(key: ModuleKey<Api>): Api {
      const api = moduleApi(key);
      if (api === undefined) throw new Error(`module ${key.name} does not run here`);
      return api;
    },
    dataDir,
    async listen() {
      const address = await app.listen({ port: core.port, host: core.bind });
      // Modules start once the server answers: the embedded agent registers over loopback like any agent.
      const port = new URL(address).port;
      const serverUrl = `http://${core.bind.includes(':') ? '[::1]' : '127.0.0.1'}:${port}`;
      for (const module of modules) {
        const context: StartContext = { ...contextOf(module), serverUrl };
        await module.start?.(context);
        started.push(module);
      }
      return address;
    },
    describe: () => modules.flatMap((module) => module.describe?.() ?? []),
    close: () => lifecycle.shutdown('close requested'),
  };
}
