// The one way Homeport reaches NATS: an external server when HOMEPORT_NATS_URL is set, else the managed
// nats-server when the binary is installed, else "off" with the line that says how to turn it on.

import { accessSync, constants } from 'node:fs';
import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config/load.js';
import type { Metrics } from '../metrics.js';
import { findNatsServer } from './binary.js';
import { connectNats, NATS_REQUEST_TIMEOUT_MS } from './client.js';
import type { NatsAccountName } from './layout.js';
import { type ManagedNats, type ManagedNatsOptions, startManagedNats } from './managed.js';
import type { MemberEndpoint } from './member-listener.js';
import type { NatsTlsTrust } from './member-tls.js';
import { assertNatsConfig, type NatsSettingValues, natsSettings, natsTlsRequired } from './settings.js';
import type {
  IssuedNatsUser,
  IssuedNatsUserJwt,
  NatsUserGrant,
  NatsUserGrantForKey,
  NatsUserGrantWithSeed,
} from './users.js';

export interface OpenNatsOptions {
  dataDir: string;
  log: Logger;
  metrics?: Metrics;
  /** How long the first connection may take before openNats fails (default 30 s). */
  connectTimeoutMs?: number;
  /** Passed to the managed server (tests shorten backoffs). */
  managed?: Partial<
    Omit<
      ManagedNatsOptions,
      'dataDir' | 'log' | 'metrics' | 'binary' | 'cluster' | 'secretKey' | 'memberListener'
    >
  >;
  /**
   * HOMEPORT_SECRET_KEY (read by accounts): a managed cluster derives its NATS operator and accounts from it
   * and refuses to start without it.
   */
  secretKey?: string | undefined;
}

/** Users in the managed server's accounts; the bus issues its members here, and revokes them. */
export interface NatsAccounts {
  /**
   * Issues a user of `account` limited to the grant's subjects: for the client's own key when
   * `grant.publicKey` is given (JWT only; the seed never leaves the client), else for a fresh key pair.
   */
  issueUser(account: NatsAccountName, grant: NatsUserGrantForKey): Promise<IssuedNatsUserJwt>;
  issueUser(account: NatsAccountName, grant: NatsUserGrantWithSeed): Promise<IssuedNatsUser>;
  issueUser(account: NatsAccountName, grant: NatsUserGrant): Promise<IssuedNatsUserJwt | IssuedNatsUser>;
  /**
   * Replaces the revocation list of `account` (user public key → unix seconds) and pushes it to the server,
   * which closes the revoked users' connections at once; see `ManagedNats.setRevocations`.
   */
  setRevocations(account: NatsAccountName, revocations: Readonly<Record<string, number>>): Promise<void>;
  /** The creds file of Homeport's own service user in `account` (e.g. 'BUS' for the bus's own connection). */
  serviceCreds(account: NatsAccountName): string;
  /** The server's URL, for connections in other accounts. */
  url: string;
  /** How those connections verify it (the member listener's TLS); undefined on plain loopback. */
  tls: NatsTlsTrust | undefined;
  /** Where bus members connect to this node. */
  member: MemberEndpoint;
}

export type NatsHandle =
  | {
      state: 'on';
      nc: NatsConnection;
      /** JetStream in Homeport's account, its API calls bounded by NATS_REQUEST_TIMEOUT_MS. */
      js: JetStreamClient;
      kvm: Kvm;
      /** The server(s) connected to, comma-separated. */
      url: string;
      /** True when Homeport runs the server itself. */
      managed: boolean;
      /** Present with the managed server, whose keys Homeport holds. */
      accounts?: NatsAccounts;
      /** Drains the connection, then stops the managed server. */
      close(): Promise<void>;
    }
  | { state: 'off'; reason: string };

/** A creds or CA file that cannot be read is a configuration error, not 30 s of failed connection attempts. */
function assertReadable(files: readonly (readonly [string, string | undefined])[]): void {
  const problems: string[] = [];
  for (const [name, path] of files) {
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      problems.push(
        `${name} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** What openNats will do with these settings, decided without side effects. */
export function natsPlan(
  values: NatsSettingValues,
): { kind: 'external' } | { kind: 'managed'; binary: string } | { kind: 'off'; reason: string } {
  if ((values.natsUrl ?? []).length > 0) return { kind: 'external' };
  const howTo = 'install nats-server (apt-get install nats-server) or set HOMEPORT_NATS_URL';
  if (values.natsManaged === 'off')
    return {
      kind: 'off',
      reason: `NATS is off: HOMEPORT_NATS_MANAGED=off and no HOMEPORT_NATS_URL; set HOMEPORT_NATS_URL`,
    };
  const lookup = findNatsServer(values.natsServerBin);
  if (!lookup.found)
    return { kind: 'off', reason: `NATS is off: no HOMEPORT_NATS_URL and ${lookup.reason}; ${howTo}` };
  return { kind: 'managed', binary: lookup.path };
}

/**
 * Homeport's NATS: connects to HOMEPORT_NATS_URL (with its creds and CA), or starts the managed nats-server
 * and connects as Homeport's service user, or reports `off` with one line saying how to enable it. Throws a
 * ConfigError for unsafe settings (a plaintext non-loopback URL) and a NatsError when NATS is configured but
 * cannot be reached or started.
 *
 * @example
 *   const nats = await openNats(config, { dataDir, log, metrics });
 *   if (nats.state === 'off') log.info(nats.reason);
 *   else lifecycle.onShutdown('nats', () => nats.close());
 */
export async function openNats(config: Config, options: OpenNatsOptions): Promise<NatsHandle> {
  const values = config.read(natsSettings);
  assertNatsConfig(values, { secretKey: options.secretKey });
  assertReadable([
    ['HOMEPORT_NATS_CREDS', values.natsCreds],
    ['HOMEPORT_NATS_CA', values.natsCa],
  ]);
  const plan = natsPlan(values);
  if (plan.kind === 'off') return { state: 'off', reason: plan.reason };
  const log = options.log.child({ component: 'nats' });
  const { metrics } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? 30_000;

  if (plan.kind === 'external') {
    const servers = values.natsUrl ?? [];
    let tls: { caFile?: string } | undefined;
    if (natsTlsRequired(values)) tls = values.natsCa === undefined ? {} : { caFile: values.natsCa };
    const nc = await connectNats({
      servers,
      log,
      connectTimeoutMs,
      ...(values.natsCreds === undefined ? {} : { credsFile: values.natsCreds }),
      ...(tls === undefined ? {} : { tls }),
      ...(metrics === undefined ? {} : { metrics }),
    });
    log.info({ servers }, 'connected to NATS');
    return handle(nc, servers.join(','), undefined, log);
  }

  const server = await startManagedNats({
    ...options.managed,
    dataDir: options.dataDir,
    log: options.log,
    binary: plan.binary,
    cluster: values,
    ...(values.busListen === undefined
      ? {}
      : {
          memberListener: {
            listen: values.busListen,
            advertise: values.busAdvertise,
            tlsCert: values.busTlsCert,
            tlsKey: values.busTlsKey,
          },
        }),
    ...(options.secretKey === undefined ? {} : { secretKey: options.secretKey }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  let nc: NatsConnection;
  try {
    nc = await connectNats({
      servers: [server.url],
      credsFile: server.serviceCreds('HOMEPORT'),
      log,
      connectTimeoutMs,
      ...(server.tls === undefined ? {} : { tls: server.tls }),
      ...(metrics === undefined ? {} : { metrics }),
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  log.info({ url: server.url, dir: server.dir }, 'connected to the managed nats-server');
  if (server.cluster) await awaitJetStreamQuorum(server.monitorUrl, connectTimeoutMs, log);
  return handle(nc, server.url, server, log);
}

/**
 * A cluster node's server is ready before JetStream has a meta leader (that needs a quorum of nodes, which
 * start on their own machines at their own pace). Modules open buckets and object stores as they start, each
 * call bounded by 5 s: so the node waits here, up to the connect bound, for /healthz to pass, and goes on with
 * a warning after it (a store that needs JetStream then fails with its own message).
 */
async function awaitJetStreamQuorum(monitorUrl: string, timeoutMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // A slow answer: asked again below.
    }
    if (!told) log.info('waiting for the cluster to elect a JetStream leader (a quorum of nodes)');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log.warn({ timeoutMs }, 'no JetStream leader yet; going on without it');
}

function handle(nc: NatsConnection, url: string, server: ManagedNats | undefined, log: Logger): NatsHandle {
  const js = jetstream(nc, { timeout: NATS_REQUEST_TIMEOUT_MS });
  let closing: Promise<void> | undefined;
  return {
    state: 'on',
    nc,
    js,
    kvm: new Kvm(js),
    url,
    managed: server !== undefined,
    ...(server === undefined
      ? {}
      : {
          accounts: {
            issueUser: server.issueUser,
            setRevocations: (account, revocations) => server.setRevocations(account, revocations),
            serviceCreds: (account) => server.serviceCreds(account),
            url: server.url,
            tls: server.tls,
            member: server.member,
          },
        }),
    close() {
      closing ??= (async () => {
        try {
          // Drain lets pending publishes and KV writes finish; bounded so a dead server cannot hold shutdown.
          await Promise.race([nc.drain(), new Promise((resolve) => setTimeout(resolve, 5000))]);
        } catch (error) {
          log.warn({ err: error }, 'NATS drain failed; closing');
        }
        if (!nc.isClosed()) await nc.close();
        await server?.stop();
      })();
      return closing;
    },
  };
}
