// Homeport as an operator runs it on three machines, on one: three nats-server in one cluster on loopback
// routes, and two Homeport replicas — the built bundle, real processes — with HOMEPORT_STORE=kv and every
// bucket replicated three times. A session made on A works on B; a user disabled on B is refused on A within a
// second; an SSE client on A sees an event published through B; a background job runs once across both;
// losing one NATS node loses no acknowledged write and writes resume; losing two denies every protected
// request and turns /ready to 503; bringing them back resumes service.

import { execFile } from 'node:child_process';
import {
  HOMEPORT_BUNDLE,
  type HomeportInstance,
  type NatsClusterInstance,
  type NatsServerInstance,
  startHomeport,
  startNatsCluster,
  tempDir,
} from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUntil } from './support/sse.js';
import { until } from './support/until.js';

const SECRET_KEY = 'the-cluster-secret-key-0123456789abcdef';
const ADMIN_PASSWORD = 'cluster-admin-password-0123';
const SWEEP_MS = 1000;

let cluster: NatsClusterInstance;
let serverVersion = '';
const replicas: HomeportInstance[] = [];
const a = () => replicas[0] as HomeportInstance;
const b = () => replicas[1] as HomeportInstance;

/** nats-server before 2.9.21 cannot serialise clustered compare-and-set; Homeport refuses it unless told. */
const oldServer = () => {
  const [major = 0, minor = 0, patch = 0] = serverVersion.split('.').map(Number);
  return major < 2 || (major === 2 && (minor < 9 || (minor === 9 && patch < 21)));
};

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOMEPORT_STORE: 'kv',
    HOMEPORT_NATS_URL: cluster.urls.join(','),
    HOMEPORT_KV_REPLICAS: '3',
    HOMEPORT_SECRET_KEY: SECRET_KEY,
    HOMEPORT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    HOMEPORT_SESSION_SWEEP_INTERVAL: `${SWEEP_MS}ms`,
    HOMEPORT_RATE_LIMIT_MAX: '0',
    // The embedded agents are not what this tests; they would only add writes.
    HOMEPORT_MODULES: 'nas',
    HOMEPORT_EMBEDDED_AGENT: 'false',
    ...(oldServer() ? { HOMEPORT_KV_ALLOW_OLD_SERVER: 'true' } : {}),
    ...extra,
  };
}

/** until() with a probe whose failure (a refused connection while nodes go) counts as "not yet". */
const untilAnswered = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000) =>
  until(what, () => probe().catch(() => undefined), timeoutMs);

type UserList = { users: { username: string }[] };

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function call(
  replica: HomeportInstance,
  path: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${replica.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? bearer(init.token) : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body };
}

async function login(replica: HomeportInstance, username: string, password: string): Promise<string> {
  const { status, body } = await call(replica, '/api/v1/auth/login', {
    method: 'POST',
    body: { username, password },
  });
  if (status !== 200)
    throw new Error(`login as ${username} on ${replica.url}: ${status} ${JSON.stringify(body)}`);
  return (body as { token: string }).token;
}

/** The sum of a counter's samples with `label` in a replica's /metrics (loopback may scrape). */
async function counter(replica: HomeportInstance, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** The node leading a stream's Raft group, asked of any node still up. */
async function streamLeader(stream: string): Promise<NatsServerInstance> {
  const nc = await connect({ servers: cluster.urls, timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    const leader = (await jsm.streams.info(stream)).cluster?.leader;
    const node = cluster.nodes.find((candidate) => candidate.name === leader);
    if (!node) throw new Error(`stream ${stream} has no leader among ${cluster.nodes.map((n) => n.name)}`);
    return node;
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  const nc = await connect({ servers: cluster.urls });
  serverVersion = nc.info?.version ?? '';
  await nc.close();
  // One at a time: the first makes the admin and the generated secrets, the second finds them.
  replicas.push(await startHomeport({ env: env() }));
  replicas.push(await startHomeport({ env: env() }));
}, 90_000);

afterAll(async () => {
  for (const replica of replicas) await replica.process.stop();
  await cluster?.stop();
});

describe('a replicated store on a nats-server that cannot serialise compare-and-set', () => {
  it('is refused at start unless HOMEPORT_KV_ALLOW_OLD_SERVER is set, and logged as unsafe when it is', async () => {
    if (!oldServer()) {
      // A fixed server starts without the override; the refusal itself is core's clusteredKvProblem test.
      expect(a().process.stderr() + a().process.stdout()).not.toMatch(/HOMEPORT_KV_ALLOW_OLD_SERVER/);
      return;
    }
    const refused = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          HOMEPORT_BUNDLE,
          'start',
          '--port',
          '0',
          '--bind',
          '127.0.0.1',
          '--data-dir',
          tempDir('homeport-refused-'),
        ],
        {
          env: { PATH: process.env.PATH ?? '', ...env({ HOMEPORT_KV_ALLOW_OLD_SERVER: 'false' }) },
          timeout: 60_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(
      /HOMEPORT_KV_REPLICAS=3 needs nats-server 2\.9\.21 or later.*nats-server#4320/,
    );
    expect(a().process.output()).toMatch(
      /HOMEPORT_KV_ALLOW_OLD_SERVER is set: running anyway, for testing only/,
    );
  });
});

describe('two Homeport replicas on a three-node NATS cluster', () => {
  let admin = '';

  it('share sessions: one made on A is accepted on B', async () => {
    admin = await login(a(), 'admin', ADMIN_PASSWORD);
    const me = await call(b(), '/api/v1/auth/me', { token: admin });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'admin', role: 'admin' });
    expect((await call(a(), '/ready')).status).toBe(200);
    expect((await call(b(), '/ready')).status).toBe(200);
  });

  it('refuse on A, within a second, a user disabled on B', async () => {
    const created = await call(a(), '/api/v1/users', {
      method: 'POST',
      token: admin,
      body: { username: 'mia', password: 'member-password-1' },
    });
    expect(created.status).toBe(201);
    const mia = await login(a(), 'mia', 'member-password-1');
    expect((await call(a(), '/api/v1/auth/me', { token: mia })).status).toBe(200);
    const disabled = await call(b(), `/api/v1/users/${(created.body as { id: string }).id}`, {
      method: 'PATCH',
      token: admin,
      body: { status: 'disabled' },
    });
    expect(disabled.status).toBe(200);
    const refused = await untilAnswered('A to refuse the disabled user', async () =>
      (await call(a(), '/api/v1/auth/me', { token: mia })).status === 401 ? true : undefined,
    );
    expect(refused.ms).toBeLessThan(1000);
  });

  it('deliver to an SSE client on A an event published through B', async () => {
    const stream = await fetch(`${a().url}/api/v1/events?topics=accounts.users`, { headers: bearer(admin) });
    expect(stream.status).toBe(200);
    // Subscribed before the change: the stream's first bytes (the retry hint) are only sent once it is.
    const reading = readUntil(stream, (text) => text.includes('zoe-from-b'), 5000);
    const created = await call(b(), '/api/v1/users', {
      method: 'POST',
      token: admin,
      body: { username: 'zoe-from-b', password: 'member-password-2' },
    });
    expect(created.status).toBe(201);
    expect(await reading).toContain('zoe-from-b');
  });

  it('run a background job once across both replicas (counted on each)', async () => {
    const job = 'job="accounts.sweep"';
    const metric = 'homeport_background_job_runs_total';
    const before = [await counter(a(), metric, job), await counter(b(), metric, job)];
    const started = Date.now();
    await untilAnswered('five sweeps', async () => {
      const now = (await counter(a(), metric, job)) + (await counter(b(), metric, job));
      return now - (before[0] ?? 0) - (before[1] ?? 0) >= 5 ? true : undefined;
    });
    const after = [await counter(a(), metric, job), await counter(b(), metric, job)];
    const elapsed = Date.now() - started;
    const runs = (after[0] ?? 0) + (after[1] ?? 0) - (before[0] ?? 0) - (before[1] ?? 0);
    // Once per interval across the cluster (plus one at an edge): two replicas each running it would double it.
    expect(runs).toBeLessThanOrEqual(Math.floor(elapsed / SWEEP_MS) + 2);
    // The lease kept it on one replica all along.
    const ranOn = after.map((count, i) => count - (before[i] ?? 0)).filter((delta) => delta > 0);
    expect(ranOn).toHaveLength(1);
  });

  /**
   * Writes users through both replicas, takes down the node leading the users stream with `signal`, writes
   * until ten more are acknowledged, and checks every acknowledged one is listed. Returns how long after the
   * loss the first write was acknowledged.
   */
  async function loseLeader(signal: NodeJS.Signals): Promise<number> {
    const victim = await streamLeader('KV_accounts_records');
    const acknowledged: string[] = [];
    let lost = 0;
    let firstAfterLoss: number | undefined;
    let refused = 0;
    const write = async (replica: HomeportInstance) => {
      const username = `${signal.toLowerCase()}-${acknowledged.length}-${refused}`;
      const response = await call(replica, '/api/v1/users', {
        method: 'POST',
        token: admin,
        body: { username, password: 'written-password-1' },
      }).catch(() => ({ status: 0, body: undefined }));
      if (response.status === 201) {
        acknowledged.push(username);
        if (lost > 0) firstAfterLoss ??= Date.now() - lost;
      } else {
        // Refused as unavailable while there is no leader: never acknowledged and then dropped.
        expect([0, 503], JSON.stringify(response.body)).toContain(response.status);
        refused += 1;
      }
    };
    for (let i = 0; i < 10; i++) await write(i % 2 === 0 ? a() : b());
    const stopping = victim.stop(signal);
    lost = Date.now();
    while (firstAfterLoss === undefined || acknowledged.length < 20) {
      await write(acknowledged.length % 2 === 0 ? a() : b());
      if (Date.now() - lost > 30_000) throw new Error(`no write acknowledged: ${refused} refused`);
    }
    await stopping;
    console.log(
      `${signal} ${victim.name}: first write acknowledged after ${firstAfterLoss} ms, ${refused} refused`,
    );
    // Listing makes a consumer, which needs the JetStream meta leader: when the lost node held that too, the
    // list waits for a second election (under load on 2.9.10 that has taken tens of seconds). What is checked
    // here is what was kept, not how soon it can be listed.
    const listed = await untilAnswered(
      'the user list',
      async () => {
        const users = await call(b(), '/api/v1/users', { token: admin });
        return users.status === 200 ? (users.body as UserList).users : undefined;
      },
      60_000,
    );
    const names = new Set(listed.value.map((user) => user.username));
    expect(acknowledged.filter((name) => !names.has(name))).toEqual([]);
    await victim.restart();
    await cluster.waitForJetStream(60_000);
    return firstAfterLoss;
  }

  it('lose no acknowledged write when the node leading the users stream stops, and write again within 5 s', async () => {
    // SIGTERM: the server hands its leaderships over before it exits.
    expect(await loseLeader('SIGTERM')).toBeLessThan(5000);
  }, 150_000);

  it('lose no acknowledged write when that node is killed, and write again once a leader is elected', async () => {
    // SIGKILL: the two left wait out Raft's election timeout first (4–9 s in nats-server 2.9, not a setting),
    // so this bound is the server's; a request sent to the dead leader is refused at its 3 s bound, so
    // Homeport adds up to one bound (6–9 s measured).
    expect(await loseLeader('SIGKILL')).toBeLessThan(13_000);
  }, 150_000);

  it('deny every protected request and turn /ready to 503 with two of three nodes gone; resume when they return', async () => {
    const member = await login(b(), 'zoe-from-b', 'member-password-2');
    const [first, second] = cluster.nodes as [NatsServerInstance, NatsServerInstance];
    await Promise.all([first.stop('SIGKILL'), second.stop('SIGKILL')]);
    for (const replica of [a(), b()]) {
      const notReady = await untilAnswered(`${replica.url} not ready`, async () =>
        (await call(replica, '/ready')).status === 503 ? true : undefined,
      );
      // The quorum watch's bound (no acknowledged write for 3 s), not the lone leader's step-down.
      expect(notReady.ms).toBeLessThan(5000);
    }
    // None admitted: with no quorum the store cannot say no, so nothing is let through. Some calls are
    // answered from a replica's one-second cache of a resolved session; wait that out before asserting.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const protectedCalls: [string, string, string?][] = [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/exports'],
      ['POST', '/api/v1/users'],
    ];
    for (const replica of [a(), b()]) {
      for (const token of [admin, member]) {
        for (const [method, path] of protectedCalls) {
          const response = await call(replica, path, {
            method,
            token,
            ...(method === 'POST'
              ? { body: { username: `never-${Date.now()}`, password: 'never-password-1' } }
              : {}),
          });
          expect(response.status, `${method} ${path} on ${replica.url}`).toBeGreaterThanOrEqual(500);
        }
      }
      const signIn = await call(replica, '/api/v1/auth/login', {
        method: 'POST',
        body: { username: 'admin', password: ADMIN_PASSWORD },
      });
      expect(signIn.status, 'sign-in').toBeGreaterThanOrEqual(500);
    }

    await Promise.all([first.restart(), second.restart()]);
    await cluster.waitForJetStream(30_000);
    for (const replica of [a(), b()]) {
      await untilAnswered(
        `${replica.url} ready again`,
        async () => ((await call(replica, '/ready')).status === 200 ? true : undefined),
        30_000,
      );
      await untilAnswered(
        `${replica.url} to serve the admin again`,
        async () =>
          (await call(replica, '/api/v1/auth/me', { token: admin })).status === 200 ? true : undefined,
        30_000,
      );
    }
    const users = await call(a(), '/api/v1/users', { token: admin });
    expect(users.status).toBe(200);
    expect((users.body as UserList).users.some((user) => user.username.startsWith('never-'))).toBe(false);
  }, 120_000);
});
