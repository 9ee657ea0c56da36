// Composition root: builds config, logger, store, events, metrics, lifecycle and HTTP app, then the modules.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AccountsError,
  accountsMigrations,
  accountsSettings,
  accountsStoreOf,
  createAccounts,
  newPassword,
} from '@homeport/accounts';
import {
  applyMigrations,
  type Config,
  ConfigError,
  clusteredKvProblem,
  coreSettings,
  createEventHub,
  createHttpServer,
  createJetStreamKv,
  createLifecycle,
  createLogger,
  createMetrics,
  createNatsEventHub,
  createSseRegistry,
  type EventBus,
  type EventStreams,
  exposedDirMode,
  fileVault,
  type HttpApp,
  type KvStore,
  kvSingleton,
  kvVault,
  type Lifecycle,
  type Logger,
  localSingleton,
  type Module,
  type ModuleContext,
  type ModuleKey,
  type NatsHandle,
  natsSettings,
  openDatabase,
  openNats,
  publishOrLog,
  registerEventRoutes,
  type SettingGroup,
  type SqliteDatabase,
  type StartContext,
  type StoreDriver,
  type UserDirectory,
  watchQuorum,
} from '@homeport/core';
import { createNasModule } from '@homeport/nas';
import { type ModuleOff, type RequirementProbes, selectModules } from './module-selection.js';
import { VERSION } from './version.js';
import { DEFAULT_WEB_DIR, registerWeb, webFallback } from './web.js';

/** Internal topic: some user's credential ended; every replica re-checks that user's event streams. */
const CREDENTIALS_TOPIC = 'accounts.credentials';

/**
 * Every module besides accounts, in start order. Accounts always runs and comes first: every other module
 * gets its guards and user directory. Adding a module is adding it here.
 */
export const moduleCatalogue = (): Module[] => [createNasModule({ version: VERSION })];

/** The names `--modules` accepts. */
export const KNOWN_MODULES: readonly string[] = [
  'accounts',
  ...moduleCatalogue().map((module) => module.name),
];

export interface HomeportOptions {
  config: Config;
  log?: Logger;
  clock?: () => number;
  /** Process metrics (event-loop lag etc.); tests building many apps turn them off. */
  collectProcessMetrics?: boolean;
  /** Where the generated first-admin password goes (stderr by default); it never goes to the log. */
  announce?: (text: string) => void;
  /** Create the first admin when none exists (default true; the `user` CLI manages accounts itself). */
  ensureFirstAdmin?: boolean;
  /** How requirements are checked (tests replace them); default: module-selection.ts. */
  requirements?: RequirementProbes;
  /** The modules besides accounts (default: moduleCatalogue()); tests add their own. */
  catalogue?: readonly Module[];
}

export interface Homeport {
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
  /** The modules that run, accounts first. */
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

/** Every setting group the process reads, for validation at start and the configuration reference. */
export const ALL_SETTINGS: readonly SettingGroup[] = [
  coreSettings,
  natsSettings,
  accountsSettings,
  ...moduleCatalogue().flatMap((module) => module.settings ?? []),
];

/** Opens the database and applies every module's migrations (also used by the `user` CLI). */
export function openStore(config: Config): { db: SqliteDatabase; dataDir: string } {
  const { dataDir } = config.read(coreSettings);
  const absolute = resolve(dataDir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  return { db: openDatabase(join(absolute, 'homeport.db')), dataDir: absolute };
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
 * Opens where state lives: the SQLite database in the data dir, or (HOMEPORT_STORE=kv) a NATS connection —
 * an external server or the managed one — whose JetStream KV every replica shares.
 */
async function openState(
  config: Config,
  log: Logger,
  secretKey: string | undefined,
): Promise<{ dataDir: string; db?: SqliteDatabase; nats?: Extract<NatsHandle, { state: 'on' }> }> {
  const core = config.read(coreSettings);
  if (core.store === 'sqlite') return openStore(config);
  const dataDir = resolve(core.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const nats = await openNats(config, { dataDir, log, secretKey });
  if (nats.state === 'off') throw new ConfigError([`HOMEPORT_STORE=kv ${nats.reason}`]);
  const unsafe = clusteredKvProblem(nats.nc.info?.version, core.kvReplicas);
  if (unsafe !== undefined && core.kvAllowOldServer) {
    log.warn(
      { serverVersion: nats.nc.info?.version, replicas: core.kvReplicas },
      `HOMEPORT_KV_ALLOW_OLD_SERVER is set: running anyway, for testing only — ${unsafe}`,
    );
  } else if (unsafe !== undefined) {
    await nats.close();
    throw new ConfigError([
      `${unsafe}; upgrade nats-server (HOMEPORT_KV_ALLOW_OLD_SERVER=true runs a test cluster anyway)`,
    ]);
  }
  return { dataDir, nats };
}

export async function createHomeport(options: HomeportOptions): Promise<Homeport> {
  const { config } = options;
  config.validate(ALL_SETTINGS);
  const core = config.read(coreSettings);
  const accountsConfig = config.read(accountsSettings);
  const log = options.log ?? createLogger({ level: core.logLevel });
  const clock = options.clock ?? Date.now;

  const catalogue = options.catalogue ?? moduleCatalogue();
  if ((core.tlsCert === undefined) !== (core.tlsKey === undefined)) {
    throw new ConfigError(['--tls-cert and --tls-key go together: give both or neither']);
  }
  const tls =
    core.tlsCert && core.tlsKey
      ? { cert: readFileSync(core.tlsCert), key: readFileSync(core.tlsKey) }
      : undefined;

  const { dataDir, db, nats } = await openState(config, log, accountsConfig.secretKey);
  // This replica's name in leases and heartbeats (unique per process).
  const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Replicated KV: reads are trusted only while this replica's writes reach a quorum (a leader cut off from
  // its peers keeps answering reads until it steps down); see store/quorum.ts.
  const quorum =
    nats && core.kvReplicas > 1
      ? watchQuorum({
          kv: createJetStreamKv({
            kvm: nats.kvm,
            module: 'core',
            replicas: core.kvReplicas,
            timeoutMs: 1500,
          }),
          holder,
          log: log.child({ component: 'store' }),
          clock,
        })
      : undefined;
  await quorum?.first;
  const readGate = quorum && ((what: string) => quorum.assertConfirmed(what));
  // On KV, ready means a read of the store answers within a second (and, replicated, a quorum acknowledges).
  const readinessProbe =
    nats &&
    createJetStreamKv({
      kvm: nats.kvm,
      module: 'core',
      replicas: core.kvReplicas,
      timeoutMs: 1000,
      ...(readGate ? { readGate } : {}),
    });
  // openState gives either the database or (kv store) an open NATS connection.
  const kvFor = (module: string): KvStore | undefined =>
    nats &&
    createJetStreamKv({
      kvm: nats.kvm,
      module,
      replicas: core.kvReplicas,
      ...(readGate ? { readGate } : {}),
    });
  const storeFor = (module: string): StoreDriver => {
    const kv = kvFor(module);
    if (db) return { kind: 'sqlite', db };
    if (!kv) throw new Error('kv store without NATS');
    return { kind: 'kv', kv };
  };
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
    natsOpening ??= openNats(config, { dataDir, log, metrics, secretKey: accountsConfig.secretKey });
    return natsOpening;
  };
  const selection = await selectModules(catalogue, core.modules, {
    async nats() {
      const handle = await natsHandle();
      return handle.state === 'on' ? { met: true } : { met: false, reason: handle.reason };
    },
    ...options.requirements,
  });
  for (const off of selection.off) log.info({ module: off.name }, `module ${off.name} is off: ${off.reason}`);
  const natsOn = natsOpening ? await natsOpening : undefined;
  const natsForModules = natsOn?.state === 'on' ? natsOn : undefined;
  const lifecycle = createLifecycle({ log, timeoutMs: core.shutdownTimeout });
  const webDir = core.webDir ?? DEFAULT_WEB_DIR;
  const fallback = webFallback(webDir);

  const app = await createHttpServer({
    log,
    metrics,
    version: VERSION,
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
    ...(fallback ? { fallback } : {}),
  });

  // Accounts' repositories prepare statements when created, so its schema must exist first.
  if (db) applyMigrations(db, 'accounts', accountsMigrations);
  const accounts = createAccounts({
    config,
    store: await accountsStoreOf(storeFor('accounts'), clock),
    events,
    log: log.child({ module: 'accounts' }),
    dataDir,
    clock,
    tls: Boolean(tls),
    // On KV, failed logins count for the cluster (a guesser gets one budget, not one per replica).
    sharedThrottles: kvFor('accounts'),
  });
  const users: UserDirectory = {
    async find(idOrUsername) {
      const user = await accounts.service.findUser(idOrUsername).catch((error: unknown) => {
        if (error instanceof AccountsError && error.code === 'user_not_found') return undefined;
        throw error;
      });
      return user && { id: user.id, username: user.username, role: user.role, status: user.status };
    },
    onAccessNarrowed: (listener) => accounts.service.onAccessNarrowed(listener),
  };
  const modules: Module[] = [accounts.module, ...selection.on];
  const leases = kvFor('core');
  const secrets = leases ? kvVault(leases, requiredSecretKey(accountsConfig.secretKey)) : fileVault(dataDir);
  const countRun = (job: string) => metrics.jobRuns.inc({ job });
  const singleton = leases
    ? kvSingleton({
        kv: leases,
        holder,
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
    auth: accounts.guards,
    users,
    metrics,
    lifecycle,
    dataDir,
    clock,
  });
  if (db) for (const module of modules) applyMigrations(db, module.name, module.migrations);
  for (const module of modules) await module.init?.(contextOf(module));
  for (const module of modules) {
    const { routes } = module;
    if (!routes) continue;
    // Encapsulated: hooks and decorators a module adds stay in its own routes.
    await app.register(async (scope: HttpApp) => routes(scope, contextOf(module)), {
      prefix: module.prefix ?? '/api/v1',
    });
  }
  const sse = createSseRegistry({ metrics });
  const eventStreams = registerEventRoutes(app, { events, sse, auth: accounts.guards });
  // A logout, a revoked token, a disabled or demoted user: their open event streams are re-checked at once.
  // On every replica: a credential ended anywhere (logout, revoked token, disabled or demoted user) is
  // dropped from this replica's cache and the event streams it opened here are re-checked at once. The topic is internal: no client may subscribe to it.
  events.defineTopic({ pattern: CREDENTIALS_TOPIC, history: 0, authorize: () => false });
  accounts.service.onCredentialsEnded((userId) => {
    void publishOrLog(events, log, CREDENTIALS_TOPIC, 'credentials.ended', { userId });
  });
  events.subscribe([CREDENTIALS_TOPIC], (event) => {
    const { userId } = event.data as { userId?: unknown }; // validated just below
    if (typeof userId !== 'string') return;
    // Another replica ended it: this one's cache must not keep it alive for the rest of its second.
    accounts.service.forgetCachedCredentials(userId);
    void eventStreams.recheckUser(userId);
  });
  await registerWeb(app, webDir, log);
  await app.ready();

  const firstAdmin =
    options.ensureFirstAdmin === false
      ? undefined
      : await accounts.service.ensureFirstAdmin(accountsConfig.adminPassword, newPassword);
  if (firstAdmin?.generatedPassword) {
    const announce = options.announce ?? ((text: string) => process.stderr.write(text));
    announce(
      `\nFirst launch: created the admin account.\n  username: ${firstAdmin.username}\n  password: ${firstAdmin.generatedPassword}\n` +
        'This password is shown once and never logged. Change it in Settings → Users, or set HOMEPORT_ADMIN_PASSWORD.\n\n',
    );
  } else if (firstAdmin) {
    log.info({ username: firstAdmin.username }, 'created the admin account from HOMEPORT_ADMIN_PASSWORD');
  }

  // Shutdown runs these in reverse: HTTP first (stop accepting, finish in-flight, end SSE), then the
  // modules in reverse start order, then the database.
  lifecycle.onShutdown('database', async () => {
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
