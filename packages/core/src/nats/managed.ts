// Homeport's managed nats-server: JetStream on, loopback only, operator-mode auth from the first start, its
// keys and store under `<dataDir>/nats`, supervised (restarted with backoff, stopped on shutdown).

import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/load.js';
import { ensurePrivateDir, writePrivate } from '../fs/private-files.js';
import type { Metrics } from '../metrics.js';
import { createAccountUpdater } from './account-updates.js';
import { findNatsServer } from './binary.js';
import { clusterProblems, type ManagedCluster, managedClusterOf } from './cluster-guard.js';
import { assertClusterIdentity } from './cluster-identity.js';
import { formatHostPort, type NatsClusterSettingValues } from './cluster-settings.js';
import { clusterKeyDeriver } from './derived-keys.js';
import { NatsError } from './errors.js';
import { identityPaths, loadOrCreateIdentity } from './identity.js';
import type { NatsAccountName } from './layout.js';
import { endLeftoverServer } from './leftover.js';
import { natsLogWriter } from './log-lines.js';
import {
  type MemberEndpoint,
  type MemberListenerOptions,
  planMemberListener,
  tlsUrl,
} from './member-listener.js';
import { type MemberTls, type NatsTlsTrust, prepareMemberTls } from './member-tls.js';
import { type NatsMetrics, natsMetrics } from './metrics.js';
import { freeLoopbackPort, twoFreePorts } from './ports.js';
import { type ManagedServerConfig, renderServerConfig } from './server-config.js';
import { ChildStartError, createSupervisor, type SpawnChild, type Supervisor } from './supervisor.js';
import {
  type AccountSigner,
  type IssuedNatsUser,
  type IssuedNatsUserJwt,
  issueNatsUser,
  type NatsUserGrant,
  type NatsUserGrantForKey,
  type NatsUserGrantWithSeed,
} from './users.js';

export interface ManagedNatsOptions {
  /** Homeport's data dir; the server's keys, config and store go under `<dataDir>/nats`. */
  dataDir: string;
  log: Logger;
  metrics?: Metrics;
  /** The nats-server binary (default: found on PATH or in /usr/sbin). */
  binary?: string;
  /** Restart backoff: first delay (default 1 s), doubling up to `maxBackoffMs` (30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** After SIGTERM, how long to wait before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** How long a start may take to answer /healthz (default 20 s). */
  readyTimeoutMs?: number;
  /** How often the running server's /healthz is checked for `homeport_nats_up` (default 5 s). */
  healthIntervalMs?: number;
  spawn?: SpawnChild;
  /**
   * The server name and cluster settings (`config.read(natsSettings)` holds them). With a cluster asked for,
   * the server routes to the other nodes and its operator and accounts are derived from `secretKey`.
   */
  cluster?: NatsClusterSettingValues;
  /** HOMEPORT_SECRET_KEY; required in a cluster, the same on every node. */
  secretKey?: string;
  /** HOMEPORT_BUS_LISTEN and its TLS: the client listener moves there and requires TLS of every client. */
  memberListener?: MemberListenerOptions | undefined;
}

export interface ManagedNats {
  /**
   * Where Homeport's own connections go: `nats://127.0.0.1:<port>`, or with a member listener `tls://` to it
   * (by 127.0.0.1 when it listens on every interface), verified with `tls`.
   */
  readonly url: string;
  /** How connections to `url` verify the server; undefined when it is plain loopback. */
  readonly tls: NatsTlsTrust | undefined;
  /** Where bus members connect. */
  readonly member: MemberEndpoint;
  readonly port: number;
  /** The monitoring endpoint (`http://127.0.0.1:<port>`), loopback only. */
  readonly monitorUrl: string;
  /** `<dataDir>/nats`. */
  readonly dir: string;
  /** `server_name`: `homeport`, or HOMEPORT_NATS_SERVER_NAME. */
  readonly serverName: string;
  /** The cluster it routes to, when it is a node of one. */
  readonly cluster: { name: string; listen: string } | undefined;
  /** The running nats-server's PID; undefined while it is down. */
  readonly pid: number | undefined;
  /** The creds file of Homeport's own service user in `account`. */
  serviceCreds(account: NatsAccountName): string;
  /**
   * Issues a user of `account` limited to the grant's subjects, signed with the account's signing key: for
   * the client's key when `grant.publicKey` is given (JWT only), else for a fresh key pair (with seed and creds).
   */
  issueUser(account: NatsAccountName, grant: NatsUserGrantForKey): Promise<IssuedNatsUserJwt>;
  issueUser(account: NatsAccountName, grant: NatsUserGrantWithSeed): Promise<IssuedNatsUser>;
  issueUser(account: NatsAccountName, grant: NatsUserGrant): Promise<IssuedNatsUserJwt | IssuedNatsUser>;
  /**
   * Replaces the revocation list of `account` (user public key → unix seconds; JWTs of that key issued at or
   * before then are refused): signs the account JWT again, writes it to `accounts/<NAME>.jwt` and pushes it to
   * the running server, which closes the revoked users' connections. Resolves once the server stored it;
   * rejects with a NatsError (`nats_update_failed`) when it refused or did not answer in 5 s, the JWT then
   * applying from the next start. Pass the whole list every time: what is left out is no longer revoked.
   *
   * @example
   *   await nats.setRevocations('BUS', { ...revoked, [member.publicKey]: Math.floor(Date.now() / 1000) });
   */
  setRevocations(account: NatsAccountName, revocations: Readonly<Record<string, number>>): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after the bound) and every pending restart. */
  stop(): Promise<void>;
}

/** `issueUser` over the accounts' signers, with the overloads that say whether a seed comes back. */
function userIssuer(signers: Record<NatsAccountName, AccountSigner>): ManagedNats['issueUser'] {
  function issueUser(account: NatsAccountName, grant: NatsUserGrantForKey): Promise<IssuedNatsUserJwt>;
  function issueUser(account: NatsAccountName, grant: NatsUserGrantWithSeed): Promise<IssuedNatsUser>;
  function issueUser(
    account: NatsAccountName,
    grant: NatsUserGrant,
  ): Promise<IssuedNatsUserJwt | IssuedNatsUser>;
  function issueUser(
    account: NatsAccountName,
    grant: NatsUserGrant,
  ): Promise<IssuedNatsUserJwt | IssuedNatsUser> {
    // Own property only: 'SYS' or '__proto__' must not find a signer.
    const signer = Object.hasOwn(signers, account) ? signers[account] : undefined;
    if (signer === undefined)
      return Promise.reject(new NatsError('nats_unknown_account', `no NATS account ${String(account)}`));
    return issueNatsUser(signer, grant);
  }
  return issueUser;
}

/** Start attempts when a picked port was taken between picking and binding. */
const PORT_ATTEMPTS = 5;
/** A free loopback port other than `taken` (the member listener's, not bound until the server starts). */
async function freePortBut(taken: number): Promise<number> {
  let port = await freeLoopbackPort();
  while (port === taken) port = await freeLoopbackPort();
  return port;
}

/** How often a generated listener certificate is checked for renewal. */
const RENEW_CHECK_MS = 12 * 3_600_000;

async function answers(url: string, signal: AbortSignal): Promise<Response | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) });
    await response.arrayBuffer().catch(() => undefined);
    return response;
  } catch {
    // Refused while starting, or a slow answer: "not yet".
    return undefined;
  }
}

/**
 * The health check. A cluster node's plain /healthz fails until JetStream has a meta leader, which needs a
 * quorum of the nodes: its start waits only for the server itself (`js-enabled-only`), so the nodes of a
 * cluster can come up one by one, and its `homeport_nats_up` follows the full check.
 */
const healthPath = (clustered: boolean, starting: boolean): string =>
  clustered && starting ? '/healthz?js-enabled-only=true' : '/healthz';

/** Ready when /varz shows our client port (not some other server on the monitor port) and `health` is 200. */
async function pollReady(
  monitorUrl: string,
  port: number,
  health: string,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const varz = await fetch(`${monitorUrl}/varz`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]),
      });
      const body = (await varz.json()) as { port?: unknown }; // only `port` is read, and compared
      if (body.port === port && (await answers(`${monitorUrl}${health}`, signal))?.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('aborted');
}

function defaultBinary(): string {
  const lookup = findNatsServer(undefined);
  if (!lookup.found)
    throw new NatsError('nats_start_failed', `${lookup.reason}; install it: apt-get install nats-server`);
  return lookup.path;
}

/**
 * Starts the managed nats-server and resolves once it is ready. Keys, accounts and service users are made
 * on the first start and reused after. Homeport connects with `serviceCreds('HOMEPORT')`.
 *
 * @example
 *   const nats = await startManagedNats({ dataDir, log, metrics });
 *   lifecycle.onShutdown('nats-server', () => nats.stop());
 */
export async function startManagedNats(options: ManagedNatsOptions): Promise<ManagedNats> {
  let cluster: ManagedCluster | undefined;
  if (options.cluster) {
    const problems = clusterProblems(options.cluster, { secretKey: options.secretKey });
    if (problems.length > 0) throw new ConfigError(problems);
    cluster = managedClusterOf(options.cluster);
  }
  const derive =
    cluster && options.secretKey !== undefined ? clusterKeyDeriver(options.secretKey) : undefined;
  const serverName = options.cluster?.natsServerName ?? 'homeport';
  const binary = options.binary ?? defaultBinary();
  const dir = join(options.dataDir, 'nats');
  const paths = {
    config: join(dir, 'nats-server.conf'),
    serverPid: join(dir, 'nats-server.pid'),
    ownerPid: join(dir, 'homeport.pid'),
    store: join(dir, 'jetstream'),
    resolver: identityPaths(dir).resolverDir,
  };
  const log = options.log.child({ component: 'nats-server' });
  const metrics: NatsMetrics | undefined = options.metrics ? natsMetrics(options.metrics) : undefined;

  ensurePrivateDir(options.dataDir);
  ensurePrivateDir(dir);
  await endLeftoverServer({
    serverPidFile: paths.serverPid,
    ownerPidFile: paths.ownerPid,
    configFile: paths.config,
    log,
  });
  if (derive) assertClusterIdentity(dir, derive);
  const identity = await loadOrCreateIdentity(dir, derive ? { derive } : {});
  ensurePrivateDir(paths.store);
  ensurePrivateDir(paths.resolver);
  writePrivate(paths.ownerPid, `${process.pid}\n`);

  const listener = options.memberListener && planMemberListener(options.memberListener);
  const operatorFiles =
    options.memberListener?.tlsCert !== undefined && options.memberListener.tlsKey !== undefined
      ? { certFile: options.memberListener.tlsCert, keyFile: options.memberListener.tlsKey }
      : undefined;
  const prepareTls = () =>
    listener &&
    prepareMemberTls({
      natsDir: dir,
      hosts: listener.certHosts,
      operator: operatorFiles,
      // In a cluster the bus CA is derived from the secret key: every node's certificate chains to one CA.
      secretKey: derive ? options.secretKey : undefined,
    });
  let memberTls: MemberTls | undefined = await prepareTls();

  // Rendered again after a runtime account update, so a restart by the supervisor preloads the newest JWTs.
  const accountJwts = { ...identity.accountJwts };
  let configFor: Omit<ManagedServerConfig, 'accountJwts'> | undefined;
  const writeConfig = (config: Omit<ManagedServerConfig, 'accountJwts'>) =>
    writePrivate(paths.config, renderServerConfig({ ...config, accountJwts }));

  let supervisor: Supervisor | undefined;
  let port = 0;
  let monitorUrl = '';
  for (let attempt = 1; supervisor === undefined; attempt += 1) {
    const [clientPort, monitorPort] = listener
      ? [listener.port, await freePortBut(listener.port)]
      : await twoFreePorts();
    configFor = {
      serverName,
      ...(cluster ? { cluster } : {}),
      port: clientPort,
      ...(listener && memberTls
        ? {
            listenHost: listener.host,
            tls: { certFile: memberTls.certFile, keyFile: memberTls.keyFile },
          }
        : {}),
      monitorPort,
      storeDir: paths.store,
      resolverDir: paths.resolver,
      pidFile: paths.serverPid,
      operatorJwtFile: identity.operatorJwtFile,
      systemAccount: identity.systemAccount,
    };
    writeConfig(configFor);
    const url = `http://127.0.0.1:${monitorPort}`;
    const candidate = createSupervisor({
      name: 'nats-server',
      command: binary,
      args: ['-c', paths.config],
      log,
      onLine: natsLogWriter(log),
      ready: (signal) => pollReady(url, clientPort, healthPath(cluster !== undefined, true), signal),
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      ...(options.initialBackoffMs === undefined ? {} : { initialBackoffMs: options.initialBackoffMs }),
      ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
      ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
      ...(options.spawn === undefined ? {} : { spawn: options.spawn }),
      onUp: () => metrics?.up.set(1),
      onDown: () => metrics?.up.set(0),
      onRestart: () => metrics?.restarts.inc(),
    });
    try {
      await candidate.start();
      supervisor = candidate;
      port = clientPort;
      monitorUrl = url;
    } catch (error) {
      // Only the picked ports are worth picking again; a taken route or member port is the operator's to fix.
      const portTaken =
        error instanceof ChildStartError &&
        /address already in use/i.test(error.output) &&
        (listener ? [monitorPort] : [clientPort, monitorPort]).some((picked) =>
          new RegExp(`127\\.0\\.0\\.1:${picked}\\b`).test(error.output),
        );
      if (portTaken && attempt < PORT_ATTEMPTS) {
        log.info({ clientPort, monitorPort }, 'a picked port was taken meanwhile; picking again');
        continue;
      }
      throw new NatsError('nats_start_failed', `the managed nats-server did not start: ${String(error)}`, {
        cause: error,
      });
    }
  }
  const running = supervisor;
  const startedConfig = configFor;
  const url = listener ? tlsUrl(listener.connectHost, port) : `nats://127.0.0.1:${port}`;
  const member: MemberEndpoint = listener
    ? {
        url: tlsUrl(listener.advertiseHost, port),
        ca: memberTls?.memberCa,
        tls: true,
        listen: formatHostPort({ host: listener.host, port }),
      }
    : { url, ca: undefined, tls: false, listen: undefined };
  if (listener)
    log.info(
      { listen: member.listen, url: member.url, generatedCa: memberTls?.generated },
      'members connect over TLS',
    );
  const updates = createAccountUpdater({
    natsDir: dir,
    identity,
    url,
    tls: memberTls?.trust,
    log,
    onSigned(accountPublicKey, jwt) {
      accountJwts[accountPublicKey] = jwt;
      if (startedConfig) writeConfig(startedConfig);
    },
  });

  // The supervisor sees a crash; this sees a server that runs but stopped answering (a wedged store).
  let healthy = true;
  const health = setInterval(async () => {
    if (running.pid === undefined) return;
    const ok =
      (await answers(`${monitorUrl}${healthPath(cluster !== undefined, false)}`, AbortSignal.timeout(2000)))
        ?.ok === true;
    metrics?.up.set(ok ? 1 : 0);
    if (ok !== healthy)
      log[ok ? 'info' : 'warn']({ monitorUrl }, ok ? 'healthy again' : 'health check failing');
    healthy = ok;
  }, options.healthIntervalMs ?? 5000);
  health.unref();

  // A generated certificate is made again before it lapses; nats-server reloads its TLS files on SIGHUP.
  const renew = setInterval(async () => {
    if (!memberTls?.generated || memberTls.renewAt === undefined || Date.now() < memberTls.renewAt) return;
    try {
      memberTls = await prepareTls();
      if (running.pid !== undefined) process.kill(running.pid, 'SIGHUP');
      log.info('renewed the member listener certificate');
    } catch (error) {
      log.error({ err: error }, 'could not renew the member listener certificate');
    }
  }, RENEW_CHECK_MS);
  renew.unref();

  let stopped: Promise<void> | undefined;
  return {
    url,
    tls: memberTls?.trust,
    member,
    port,
    monitorUrl,
    dir,
    serverName,
    cluster: cluster && { name: cluster.name, listen: cluster.listen },
    get pid() {
      return running.pid;
    },
    serviceCreds: (account) => identity.serviceCreds[account],
    issueUser: userIssuer(identity.signers),
    setRevocations: (account, revocations) => updates.setRevocations(account, revocations),
    stop() {
      stopped ??= (async () => {
        clearInterval(health);
        clearInterval(renew);
        // Before the server: a connection left open would log its reconnect attempts.
        await updates.close();
        await running.stop();
        metrics?.up.set(0);
        log.info('stopped');
      })();
      return stopped;
    },
  };
}
