// Three managed nats-servers in one cluster on loopback routes with route credentials and route TLS (certificates
// made by openssl here): one identity derived from the secret key, shared accounts and JetStream, a node lost,
// a node with another secret key kept out of the accounts, and the boot guard.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { freePort, removeTempDirs, requireCommand, stopAll, tempDir } from '@homeport/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Config,
  ConfigError,
  createLogger,
  issueNatsUser,
  type Logger,
  type ManagedNats,
  NatsError,
  natsConfigProblems,
  natsSettings,
  openNats,
  startManagedNats,
} from '../src/index.js';
import { clusterKeyDeriver } from '../src/nats/derived-keys.js';

/** A missing openssl fails the suite with the line that installs it; route TLS is part of what is tested. */
const OPENSSL = requireCommand('openssl', 'openssl');

const SECRET_KEY = 'cluster-test-secret-key-0123456789abcdef';
const OTHER_SECRET_KEY = 'another-secret-key-fedcba9876543210-xyz';
// Characters that mean something in a URL and in the nats-server config language: they must survive both.
const ROUTE_PASSWORD = 'p@ss:w/rd?#"\\$HOME {x}=1';

const connections: NatsConnection[] = [];
const servers: ManagedNats[] = [];
afterAll(async () => {
  await Promise.all(connections.map((nc) => (nc.isClosed() ? undefined : nc.close())));
  await Promise.all(servers.map((server) => server.stop()));
  await stopAll();
  removeTempDirs();
});

/** Log lines kept per node, printed when a wait gives up. */
const logLines: string[] = [];
function testLogger(): Logger {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      if (logLines.length > 2000) logLines.shift();
      done();
    },
  });
  return createLogger({ level: 'info', destination });
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`still failing after ${timeoutMs} ms: ${String(last)}\n${logLines.slice(-40).join('')}`);
}

async function monitor<T>(server: ManagedNats, path: string): Promise<T> {
  const response = await fetch(`${server.monitorUrl}${path}`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as T; // the monitoring JSON; the fields read are checked by the caller
}

interface Jsz {
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number };
}
interface Routez {
  num_routes: number;
  routes: { remote_id: string }[];
}
interface Varz {
  server_name: string;
  cluster?: { name?: string; tls_required?: boolean; tls_verify?: boolean };
}

/** The meta leader every given node agrees on, once there is one (other than a node known to be gone). */
async function metaLeader(nodes: readonly ManagedNats[], gone?: string): Promise<string> {
  return eventually(async () => {
    const leaders = await Promise.all(
      nodes.map(async (node) => (await monitor<Jsz>(node, '/jsz')).meta_cluster?.leader),
    );
    const [first] = leaders;
    if (!first || first === gone || leaders.some((leader) => leader !== first))
      throw new Error(`no agreed meta leader yet: ${JSON.stringify(leaders)}`);
    return first;
  });
}

async function connectAs(server: ManagedNats, creds: string | Uint8Array): Promise<NatsConnection> {
  const bytes = typeof creds === 'string' ? new TextEncoder().encode(creds) : creds;
  const nc = await connect({
    servers: server.url,
    authenticator: credsAuthenticator(bytes),
    reconnect: false,
  });
  connections.push(nc);
  return nc;
}

/** Asks JetStream's meta leader to step down, as a user of the system account derived from the secret key. */
async function stepDownMetaLeader(node: ManagedNats): Promise<void> {
  const derive = clusterKeyDeriver(SECRET_KEY);
  const system = await issueNatsUser(
    { account: derive('account-SYS').getPublicKey(), signingKey: derive('account-SYS-signing') },
    { name: 'test-operator' },
  );
  const nc = await connectAs(node, system.creds);
  const reply = await nc.request('$JS.API.META.LEADER.STEPDOWN', '', { timeout: 5000 });
  expect(reply.json<{ success?: boolean }>().success).toBe(true);
  await nc.close();
}

const serviceConnection = (server: ManagedNats): Promise<NatsConnection> =>
  connectAs(server, readFileSync(server.serviceCreds('HOMEPORT')));

/** A CA and one certificate per node for 127.0.0.1, usable as server and client (routes verify both ends). */
function makeCertificates(names: readonly string[]): {
  ca: string;
  node(name: string): { cert: string; key: string };
} {
  const dir = tempDir('homeport-nats-certs-');
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      caKey,
      '-out',
      ca,
      '-days',
      '2',
      '-subj',
      '/CN=homeport-test-route-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    { stdio: 'pipe' },
  );
  const extensions = join(dir, 'node.ext');
  writeFileSync(
    extensions,
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n',
  );
  for (const name of names) {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    execFileSync(OPENSSL, ['req', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], {
      stdio: 'pipe',
    });
    execFileSync(
      OPENSSL,
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        join(dir, `${name}.pem`),
        '-days',
        '2',
        '-extfile',
        extensions,
      ],
      { stdio: 'pipe' },
    );
  }
  return { ca, node: (name) => ({ cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }) };
}

interface NodePlan {
  name: string;
  dataDir: string;
  routePort: number;
}

async function takePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** The env of one node: its name and route listener, and what every node shares. */
function nodeEnv(
  node: NodePlan,
  routePorts: readonly number[],
  tls: { ca: string; cert: string; key: string },
): Record<string, string> {
  return {
    HOMEPORT_NATS_SERVER_NAME: node.name,
    HOMEPORT_NATS_CLUSTER_NAME: 'homeport-test',
    HOMEPORT_NATS_CLUSTER_LISTEN: `127.0.0.1:${node.routePort}`,
    // The same list on every node, itself included: nats-server drops the route to itself.
    HOMEPORT_NATS_CLUSTER_ROUTES: routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(','),
    HOMEPORT_NATS_CLUSTER_USER: 'homeport-route',
    HOMEPORT_NATS_CLUSTER_PASSWORD: ROUTE_PASSWORD,
    HOMEPORT_NATS_CLUSTER_TLS_CERT: tls.cert,
    HOMEPORT_NATS_CLUSTER_TLS_KEY: tls.key,
    HOMEPORT_NATS_CLUSTER_TLS_CA: tls.ca,
  };
}

const clusterValues = (env: Record<string, string>) => new Config({ env }).read(natsSettings);

async function startNode(
  env: Record<string, string>,
  dataDir: string,
  secretKey: string | undefined,
): Promise<ManagedNats> {
  const server = await startManagedNats({
    dataDir,
    log: testLogger(),
    cluster: clusterValues(env),
    ...(secretKey === undefined ? {} : { secretKey }),
    initialBackoffMs: 200,
    stopTimeoutMs: 5000,
  });
  servers.push(server);
  return server;
}

const subjectOf = (jwtFile: string): string => {
  const payload = readFileSync(jwtFile, 'utf8').trim().split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string }).sub;
};

describe('a cluster of three managed nats-servers', () => {
  const names = ['n1', 'n2', 'n3', 'stranger'];
  const certificates = makeCertificates(names);
  const tlsOf = (name: string) => ({ ca: certificates.ca, ...certificates.node(name) });
  let plans: NodePlan[];
  let routePorts: number[];
  let nodes: ManagedNats[];

  beforeAll(async () => {
    routePorts = await takePorts(3);
    plans = routePorts.map((routePort, i) => ({
      name: `n${i + 1}`,
      dataDir: tempDir(`homeport-nats-cluster-n${i + 1}-`),
      routePort,
    }));
    // One after the other: a node is up before the others exist, and JetStream waits for a quorum.
    nodes = [];
    for (const plan of plans)
      nodes.push(await startNode(nodeEnv(plan, routePorts, tlsOf(plan.name)), plan.dataDir, SECRET_KEY));
  }, 90_000);

  it('forms one cluster over authenticated, verified TLS routes, with one JetStream meta leader', async () => {
    for (const node of nodes)
      await eventually(async () => {
        const routez = await monitor<Routez>(node, '/routez');
        if (routez.num_routes !== 2) throw new Error(`${node.serverName}: ${routez.num_routes} routes`);
      });
    const leader = await metaLeader(nodes);
    expect(['n1', 'n2', 'n3']).toContain(leader);
    for (const node of nodes) {
      const varz = await monitor<Varz>(node, '/varz');
      expect(varz.server_name).toBe(node.serverName);
      expect(varz.cluster).toMatchObject({ name: 'homeport-test', tls_required: true, tls_verify: true });
    }
    // Every node counts three JetStream peers once each has heard of the others.
    for (const node of nodes)
      await eventually(async () => {
        const size = (await monitor<Jsz>(node, '/jsz')).meta_cluster?.cluster_size;
        if (size !== 3) throw new Error(`${node.serverName}: cluster_size ${size}`);
      });
    expect(nodes.map((node) => node.serverName)).toEqual(['n1', 'n2', 'n3']);
    expect(nodes[0]?.cluster).toEqual({ name: 'homeport-test', listen: `127.0.0.1:${routePorts[0]}` });
  });

  it('derives the same operator and accounts on every node from the secret key', () => {
    const derive = clusterKeyDeriver(SECRET_KEY);
    for (const node of nodes) {
      expect(subjectOf(join(node.dir, 'operator.jwt'))).toBe(derive('operator').getPublicKey());
      for (const account of ['SYS', 'HOMEPORT', 'BUS'] as const)
        expect(subjectOf(join(node.dir, 'accounts', `${account}.jwt`))).toBe(
          derive(`account-${account}`).getPublicKey(),
        );
      // The route password is in the 0600 config; seeds never are.
      const config = readFileSync(join(node.dir, 'nats-server.conf'), 'utf8');
      expect(config).not.toMatch(/\bS[OAU][A-Z2-7]{50,}/);
    }
    // nats-server's lines are in Homeport's log: the route password never is, plain or URL-encoded.
    const log = logLines.join('');
    expect(log).toContain('Route connection created');
    expect(log).not.toContain(encodeURIComponent(ROUTE_PASSWORD));
    expect(log).not.toContain('p@ss:w/rd');
    // Service users are each node's own.
    const serviceUsers = nodes.map((node) => readFileSync(node.serviceCreds('HOMEPORT'), 'utf8'));
    expect(new Set(serviceUsers).size).toBe(3);
  });

  it('serves a bucket (R1) created through node 1 to Homeport connected to node 3', async () => {
    const [n1, , n3] = nodes as [ManagedNats, ManagedNats, ManagedNats];
    const onN1 = new Kvm(jetstream(await serviceConnection(n1)));
    // JetStream answers once the cluster has a meta leader: a start does not wait for quorum.
    await eventually(async () => {
      const bucket = await onN1.create('shared', { replicas: 1 });
      await bucket.put('greeting', 'hello from n1');
    });
    const onN3 = new Kvm(jetstream(await serviceConnection(n3)));
    const seen = await eventually(async () => {
      const entry = await (await onN3.open('shared')).get('greeting');
      if (!entry) throw new Error('not there yet');
      return entry.string();
    });
    expect(seen).toBe('hello from n1');
  });

  it('lets a user issued on node 1 connect to node 3 and talk to a subscriber on node 2', async () => {
    const [n1, n2, n3] = nodes as [ManagedNats, ManagedNats, ManagedNats];
    const member = await n1.issueUser('BUS', {
      name: 'bus-member-u1',
      publish: { allow: ['bus.room.r1.>'] },
      subscribe: { allow: ['bus.room.r1.>'] },
    });
    const service = await connectAs(n2, readFileSync(n2.serviceCreds('BUS')));
    const seen: string[] = [];
    service.subscribe('bus.room.>', {
      callback: (_error, msg) => {
        seen.push(msg.string());
      },
    });
    await service.flush();
    const memberNc = await connectAs(n3, member.creds);
    // Interest crosses the route asynchronously: publish until the subscriber on n2 sees one.
    await eventually(async () => {
      memberNc.publish('bus.room.r1.hello', 'hi');
      await memberNc.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!seen.includes('hi')) throw new Error('not delivered yet');
    });
  });

  it('keeps a node given another secret key out of the accounts: its users and the cluster users refuse each other', async () => {
    const [n1] = nodes as [ManagedNats];
    const [strangerRoute] = await takePorts(1);
    const plan: NodePlan = {
      name: 'stranger',
      dataDir: tempDir('homeport-nats-cluster-stranger-'),
      routePort: strangerRoute as number,
    };
    const stranger = await startNode(
      nodeEnv(plan, [...routePorts, plan.routePort], tlsOf('stranger')),
      plan.dataDir,
      OTHER_SECRET_KEY,
    );
    try {
      expect(subjectOf(join(stranger.dir, 'operator.jwt'))).not.toBe(subjectOf(join(n1.dir, 'operator.jwt')));
      expect(subjectOf(join(stranger.dir, 'accounts', 'HOMEPORT.jwt'))).not.toBe(
        subjectOf(join(n1.dir, 'accounts', 'HOMEPORT.jwt')),
      );
      // Its service user is unknown to the cluster's servers, and theirs to it.
      await expect(connectAs(n1, readFileSync(stranger.serviceCreds('HOMEPORT')))).rejects.toThrow(
        /authori[sz]ation/i,
      );
      await expect(connectAs(stranger, readFileSync(n1.serviceCreds('HOMEPORT')))).rejects.toThrow(
        /authori[sz]ation/i,
      );
      // The bucket of the cluster's HOMEPORT account is not in the stranger's HOMEPORT account.
      const own = new Kvm(jetstream(await serviceConnection(stranger), { timeout: 1000 }));
      await expect(own.open('shared').then((kv) => kv.get('greeting'))).rejects.toThrow();
      // Its routes connect (the route credentials match), but it is no JetStream peer of the cluster: the
      // three keep their leader and their size, and it finds no leader of its own.
      await eventually(async () => {
        if ((await monitor<Routez>(stranger, '/routez')).num_routes !== 3)
          throw new Error('routes not up yet');
      });
      expect(['n1', 'n2', 'n3']).toContain(await metaLeader(nodes));
      for (const node of nodes) expect((await monitor<Jsz>(node, '/jsz')).meta_cluster?.cluster_size).toBe(3);
      expect((await monitor<Jsz>(stranger, '/jsz')).meta_cluster?.leader).toBeFalsy();
    } finally {
      await stranger.stop();
    }
  });

  it('keeps a meta leader and serves the R1 buckets on the two nodes left when one node stops', async () => {
    // JetStream picks the node of an R1 stream when it is created (on 2.9 not the creator's node as a rule).
    const placedOn = new Map<string, string>();
    for (const node of nodes) {
      const nc = await serviceConnection(node);
      const jsm = await jetstreamManager(nc);
      const name = `through_${node.serverName}`;
      const kv = await new Kvm(jetstream(nc)).create(name, { replicas: 1 });
      await kv.put('k', `value of ${name}`);
      placedOn.set(name, (await jsm.streams.info(`KV_${name}`)).cluster?.leader ?? '');
    }
    const buckets = [...placedOn.keys()];
    // The node to stop is the meta leader, so the other two must elect another; when it holds every bucket,
    // it first hands the leadership over (asked by a user of the derived system account).
    let leaderName = await metaLeader(nodes);
    if (buckets.every((name) => placedOn.get(name) === leaderName)) {
      await stepDownMetaLeader(nodes[0] as ManagedNats);
      leaderName = await metaLeader(nodes, leaderName);
    }
    const stopped = nodes.find((node) => node.serverName === leaderName) as ManagedNats;
    const left = nodes.filter((node) => node !== stopped);
    await stopped.stop();

    const newLeader = await metaLeader(left, leaderName);
    expect(left.map((node) => node.serverName)).toContain(newLeader);
    const survivors = buckets.filter((name) => placedOn.get(name) !== leaderName);
    expect(survivors.length).toBeGreaterThan(0);
    for (const node of left) {
      const reader = new Kvm(jetstream(await serviceConnection(node)));
      for (const name of survivors) {
        const value = await eventually(async () => (await (await reader.open(name)).get('k'))?.string());
        expect([node.serverName, name, value]).toEqual([node.serverName, name, `value of ${name}`]);
      }
    }
    // And writes to them still work.
    const writer = new Kvm(jetstream(await serviceConnection(left[0] as ManagedNats)));
    for (const name of survivors) await eventually(async () => (await writer.open(name)).put('k2', 'after'));
  });
});

describe('the cluster boot guard', () => {
  const base: Record<string, string> = {
    HOMEPORT_NATS_SERVER_NAME: 'n1',
    HOMEPORT_NATS_CLUSTER_NAME: 'homeport',
    HOMEPORT_NATS_CLUSTER_LISTEN: '127.0.0.1:6222',
    HOMEPORT_NATS_CLUSTER_ROUTES: 'nats-route://127.0.0.1:6222,nats-route://127.0.0.1:6223',
    HOMEPORT_NATS_CLUSTER_USER: 'route',
    HOMEPORT_NATS_CLUSTER_PASSWORD: 'a-route-password-of-length',
  };
  const tls = {
    HOMEPORT_NATS_CLUSTER_TLS_CERT: '/etc/homeport/route.pem',
    HOMEPORT_NATS_CLUSTER_TLS_KEY: '/etc/homeport/route.key',
    HOMEPORT_NATS_CLUSTER_TLS_CA: '/etc/homeport/route-ca.pem',
  };
  const problems = (env: Record<string, string>, secretKey: string | null = SECRET_KEY) =>
    natsConfigProblems(clusterValues(env), { secretKey: secretKey ?? undefined });
  const without = (env: Record<string, string>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(env).filter(([key]) => !keys.includes(key)));

  it('accepts a loopback cluster with route credentials, and a public one with credentials and complete TLS', () => {
    expect(problems(base)).toEqual([]);
    expect(problems({ ...base, ...tls, HOMEPORT_NATS_CLUSTER_LISTEN: '0.0.0.0:6222' })).toEqual([]);
    expect(
      problems({
        ...base,
        ...tls,
        HOMEPORT_NATS_CLUSTER_LISTEN: '[::]:6222',
        HOMEPORT_NATS_CLUSTER_ROUTES: 'nats-route://[fd00::1]:6222,nats1.example.org:6222',
      }),
    ).toEqual([]);
  });

  it.each([
    ['a public listener without TLS', { ...base, HOMEPORT_NATS_CLUSTER_LISTEN: '0.0.0.0:6222' }],
    [
      'a public listener with TLS but without route credentials',
      without(
        { ...base, ...tls, HOMEPORT_NATS_CLUSTER_LISTEN: '10.0.0.1:6222' },
        'HOMEPORT_NATS_CLUSTER_USER',
        'HOMEPORT_NATS_CLUSTER_PASSWORD',
      ),
    ],
    [
      'a loopback listener with routes to another machine in clear',
      { ...base, HOMEPORT_NATS_CLUSTER_ROUTES: 'nats-route://10.0.0.2:6222' },
    ],
  ])('refuses %s', (_name, env) => {
    expect(problems(env)).toContainEqual(
      expect.stringMatching(
        /^refusing a cluster on a non-loopback address .* without route credentials and complete route TLS/,
      ),
    );
  });

  it('refuses partial route TLS settings, each with its own message', () => {
    const cert = { HOMEPORT_NATS_CLUSTER_TLS_CERT: tls.HOMEPORT_NATS_CLUSTER_TLS_CERT };
    const key = { HOMEPORT_NATS_CLUSTER_TLS_KEY: tls.HOMEPORT_NATS_CLUSTER_TLS_KEY };
    const ca = { HOMEPORT_NATS_CLUSTER_TLS_CA: tls.HOMEPORT_NATS_CLUSTER_TLS_CA };
    expect(problems({ ...base, ...cert, ...ca })).toEqual([
      'HOMEPORT_NATS_CLUSTER_TLS_CERT is set without HOMEPORT_NATS_CLUSTER_TLS_KEY: give both.',
    ]);
    expect(problems({ ...base, ...key, ...ca })).toEqual([
      'HOMEPORT_NATS_CLUSTER_TLS_KEY is set without HOMEPORT_NATS_CLUSTER_TLS_CERT: give both.',
    ]);
    expect(problems({ ...base, ...cert, ...key })).toEqual([
      expect.stringMatching(/^route TLS without HOMEPORT_NATS_CLUSTER_TLS_CA: the nodes could not verify/),
    ]);
    expect(problems({ ...base, ...ca })).toEqual([
      expect.stringMatching(/^HOMEPORT_NATS_CLUSTER_TLS_CA is set without .*: route TLS needs all three/),
    ]);
  });

  it('refuses routes without a listen address, a cluster name without routes, and a cluster without a server name', () => {
    expect(problems(without(base, 'HOMEPORT_NATS_CLUSTER_LISTEN'))).toEqual([
      expect.stringMatching(/^HOMEPORT_NATS_CLUSTER_ROUTES is set without HOMEPORT_NATS_CLUSTER_LISTEN/),
    ]);
    expect(problems(without(base, 'HOMEPORT_NATS_CLUSTER_ROUTES'))).toEqual([
      expect.stringMatching(/^HOMEPORT_NATS_CLUSTER_NAME is set without HOMEPORT_NATS_CLUSTER_ROUTES/),
    ]);
    expect(problems(without(base, 'HOMEPORT_NATS_SERVER_NAME'))).toEqual([
      expect.stringMatching(/needs HOMEPORT_NATS_SERVER_NAME, different on every node/),
    ]);
  });

  it('refuses a cluster without HOMEPORT_SECRET_KEY or without route credentials, and half the credentials', () => {
    expect(problems(base, null)).toEqual([
      expect.stringMatching(/^a cluster needs HOMEPORT_SECRET_KEY, the same on every node/),
    ]);
    expect(problems(without(base, 'HOMEPORT_NATS_CLUSTER_USER', 'HOMEPORT_NATS_CLUSTER_PASSWORD'))).toEqual([
      expect.stringMatching(/^a cluster needs route credentials/),
    ]);
    expect(problems(without(base, 'HOMEPORT_NATS_CLUSTER_PASSWORD'))).toEqual([
      'HOMEPORT_NATS_CLUSTER_USER and HOMEPORT_NATS_CLUSTER_PASSWORD go together: give both or neither.',
    ]);
  });

  it('refuses cluster settings where Homeport runs no server, and bad values in the settings themselves', () => {
    expect(problems({ ...base, HOMEPORT_NATS_URL: 'nats://127.0.0.1:4222' })).toContainEqual(
      expect.stringMatching(/configure the managed nats-server, and there is none: HOMEPORT_NATS_URL is set/),
    );
    expect(() => clusterValues({ HOMEPORT_NATS_CLUSTER_ROUTES: 'nats-route://u:p@10.0.0.2:6222' })).toThrow(
      /must not carry a user or password/,
    );
    expect(() => clusterValues({ HOMEPORT_NATS_CLUSTER_ROUTES: 'nats://10.0.0.2:6222' })).toThrow(
      /must use nats-route:\/\//,
    );
    expect(() => clusterValues({ HOMEPORT_NATS_CLUSTER_LISTEN: '10.0.0.1' })).toThrow(/must be host:port/);
    expect(() => clusterValues({ HOMEPORT_NATS_SERVER_NAME: 'two words' })).toThrow(ConfigError);
    expect(() => clusterValues({ HOMEPORT_NATS_CLUSTER_PASSWORD: 'short' })).toThrow(/at least 16/);
  });

  it('lists every problem at once and refuses before anything is written', async () => {
    const dataDir = tempDir('homeport-nats-guard-');
    const env = {
      ...without(
        base,
        'HOMEPORT_NATS_SERVER_NAME',
        'HOMEPORT_NATS_CLUSTER_USER',
        'HOMEPORT_NATS_CLUSTER_PASSWORD',
      ),
      HOMEPORT_NATS_CLUSTER_LISTEN: '0.0.0.0:6222',
      HOMEPORT_NATS_CLUSTER_TLS_CERT: '/etc/homeport/route.pem',
    };
    const start = startManagedNats({ dataDir, log: testLogger(), cluster: clusterValues(env) });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    const error = (await start.catch((caught: unknown) => caught)) as ConfigError;
    expect(error.problems).toHaveLength(6);
    expect(error.message).toMatch(/TLS_CERT is set without HOMEPORT_NATS_CLUSTER_TLS_KEY/);
    expect(error.message).toMatch(/route TLS without HOMEPORT_NATS_CLUSTER_TLS_CA/);
    expect(error.message).toMatch(/needs HOMEPORT_NATS_SERVER_NAME/);
    expect(error.message).toMatch(/needs HOMEPORT_SECRET_KEY/);
    expect(error.message).toMatch(/needs route credentials/);
    expect(error.message).toMatch(/refusing a cluster on a non-loopback address \(0\.0\.0\.0:6222\)/);
    expect(existsSync(join(dataDir, 'nats'))).toBe(false);

    // openNats runs the same guard, with the secret key it is given.
    const open = openNats(new Config({ env: base }), { dataDir, log: testLogger() });
    await expect(open).rejects.toThrow(/a cluster needs HOMEPORT_SECRET_KEY/);
    expect(existsSync(join(dataDir, 'nats'))).toBe(false);
  });
});

describe('a single node moving into a cluster', () => {
  it("refuses a data dir holding a single node's identity, says how to move, and starts once it is moved aside", async () => {
    const dataDir = tempDir('homeport-nats-single-');
    const single = await startManagedNats({ dataDir, log: testLogger() });
    servers.push(single);
    await single.stop();
    const singleOperator = subjectOf(join(dataDir, 'nats', 'operator.jwt'));

    const [routePort] = await takePorts(1);
    const env = {
      HOMEPORT_NATS_SERVER_NAME: 'n1',
      HOMEPORT_NATS_CLUSTER_NAME: 'homeport-test-move',
      HOMEPORT_NATS_CLUSTER_LISTEN: `127.0.0.1:${routePort}`,
      HOMEPORT_NATS_CLUSTER_ROUTES: `nats-route://127.0.0.1:${routePort}`,
      HOMEPORT_NATS_CLUSTER_USER: 'route',
      HOMEPORT_NATS_CLUSTER_PASSWORD: ROUTE_PASSWORD,
    };
    const refused = startNode(env, dataDir, SECRET_KEY);
    await expect(refused).rejects.toBeInstanceOf(NatsError);
    await expect(refused).rejects.toMatchObject({ code: 'nats_identity_conflict' });
    const natsDir = join(dataDir, 'nats');
    await expect(refused).rejects.toThrow(`mv ${natsDir} ${natsDir}.single-node`);
    // Nothing of the single node's identity was touched.
    expect(subjectOf(join(natsDir, 'operator.jwt'))).toBe(singleOperator);

    renameSync(natsDir, `${natsDir}.single-node`);
    const node = await startNode(env, dataDir, SECRET_KEY);
    expect(subjectOf(join(natsDir, 'operator.jwt'))).toBe(
      clusterKeyDeriver(SECRET_KEY)('operator').getPublicKey(),
    );
    // A node of a cluster serves its clients before JetStream has a quorum.
    const nc = await serviceConnection(node);
    expect(nc.info?.server_name).toBe('n1');
    await node.stop();

    // The same secret key on a later start: the same identity, accepted.
    const again = await startNode(env, dataDir, SECRET_KEY);
    await again.stop();
    // Another secret key: refused the same way.
    await expect(startNode(env, dataDir, OTHER_SECRET_KEY)).rejects.toMatchObject({
      code: 'nats_identity_conflict',
    });
  });
});
