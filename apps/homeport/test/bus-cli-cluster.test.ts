// `homeport bus check --mode loop` as an operator runs it during a node failure, on a three-node NATS cluster
// on loopback routes: two Homeports (A and B), each with its managed nats-server as a node, and a third node
// started here (C), all with the same secret key. The check is a child process; the nats-server it is
// attached to is killed with SIGKILL by its PID, and the check must log the failover to another node, keep
// receiving and exit 0 — with the servers A's credential lists (A's and B's nodes, which announce each other),
// and with --nats-server. Killing the only server it is given (C, whose supervisor here waits 10 minutes
// before a restart) loses messages, and the check exits 1 naming why.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusClient } from '@homeport/bus/client';
import { loadIdentity } from '@homeport/bus/crypto';
import { Config, createLogger, type ManagedNats, natsSettings, startManagedNats } from '@homeport/core';
import {
  freePort,
  HOMEPORT_BUNDLE,
  type HomeportInstance,
  removeTempDirs,
  startHomeport,
  stopAll,
  tempDir,
} from '@homeport/testkit';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

const SECRET_KEY = 'bus-cli-cluster-secret-key-0123456789abcdef';
const log = createLogger({ level: 'silent' });
const work = tempDir('homeport-bus-cli-cluster-');
/** A (the control plane the check uses) and B: each runs its node of the cluster. */
const homeports: HomeportInstance[] = [];
const a = () => homeports[0] as HomeportInstance;
/** C, started by this test without a Homeport; its supervisor does not restart it within the test. */
let bare: ManagedNats;
const checks: ChildProcess[] = [];

const PATH_ONLY = { PATH: process.env.PATH ?? '' };

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HOMEPORT_BUNDLE, ...args], { env: PATH_ONLY });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function monitor<T>(node: ManagedNats, path: string): Promise<T> {
  const response = await fetch(`${node.monitorUrl}${path}`, { signal: AbortSignal.timeout(2000) });
  return (await response.json()) as T; // monitoring JSON; the one field read is checked where it is used
}

/** `bus check` as a child process, its output as it comes. */
function startCheck(args: string[]) {
  const child = spawn(process.execPath, [HOMEPORT_BUNDLE, 'bus', 'check', ...args], { env: PATH_ONLY });
  checks.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { out: () => stdout, err: () => stderr, exited };
}

/** The tick lines so far: counters sent and received, and the server attached to (`-` while down). */
function ticks(stdout: string) {
  return [...stdout.matchAll(/^t=[\d.]+s sent=(\d+) recv=(\d+) up=(\w+) server=(\S+) publish=.*$/gm)].map(
    (match) => ({
      sent: Number(match[1]),
      recv: Number(match[2]),
      up: match[3] === 'true',
      server: match[4] ?? '-',
    }),
  );
}

const lastTick = (stdout: string) => ticks(stdout).at(-1);
/** A node of the cluster the check may be attached to: where it listens and how to kill it. */
interface Node {
  name: string;
  /** `127.0.0.1:<port>`, as nats.js names the server it is attached to. */
  server: string;
  pid(): number | undefined;
}

/** A Homeport's node: its port from the config Homeport wrote, its PID from the file its supervisor keeps. */
function homeportNode(name: string, h: HomeportInstance): Node {
  const dir = join(h.dataDir, 'nats');
  const listen = readFileSync(join(dir, 'nats-server.conf'), 'utf8').match(/^listen: "([^"]+)"$/m)?.[1];
  return {
    name,
    server: listen ?? '?',
    pid: () => Number(readFileSync(join(dir, 'nats-server.pid'), 'utf8').trim()) || undefined,
  };
}

const nodes = (): Node[] => [
  homeportNode('A', a()),
  homeportNode('B', homeports[1] as HomeportInstance),
  { name: 'C', server: `127.0.0.1:${bare.port}`, pid: () => bare.pid },
];
/** Whether a process of that PID runs (signal 0 checks without sending anything). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // ESRCH: no such process
  }
}

const nodeAt = (server: string) => nodes().find((node) => node.server === server);

let identity = '';

beforeAll(async () => {
  const routePorts: number[] = [];
  while (routePorts.length < 3) {
    const port = await freePort();
    if (!routePorts.includes(port)) routePorts.push(port);
  }
  const clusterEnv = (i: number): Record<string, string> => ({
    HOMEPORT_NATS_SERVER_NAME: `n${i + 1}`,
    HOMEPORT_NATS_CLUSTER_NAME: 'homeport-bus-check',
    HOMEPORT_NATS_CLUSTER_LISTEN: `127.0.0.1:${routePorts[i]}`,
    HOMEPORT_NATS_CLUSTER_ROUTES: routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(','),
    HOMEPORT_NATS_CLUSTER_USER: 'homeport-route',
    HOMEPORT_NATS_CLUSTER_PASSWORD: 'route-password-for-the-bus-check',
  });
  bare = await startManagedNats({
    dataDir: tempDir('homeport-bus-cli-cluster-c-'),
    log,
    cluster: new Config({ env: clusterEnv(2) }).read(natsSettings),
    secretKey: SECRET_KEY,
    // Killed, it stays down for the rest of the test.
    initialBackoffMs: 600_000,
    maxBackoffMs: 600_000,
    stopTimeoutMs: 5000,
  });
  // Together: a cluster node waits for a JetStream leader, which needs two nodes up.
  const started = await Promise.allSettled(
    [0, 1].map((i) =>
      startHomeport({
        env: {
          HOMEPORT_MODULES: 'bus',
          HOMEPORT_EMBEDDED_AGENT: 'false',
          HOMEPORT_SECRET_KEY: SECRET_KEY,
          ...clusterEnv(i),
        },
        timeoutMs: 90_000,
      }),
    ),
  );
  for (const result of started) if (result.status === 'fulfilled') homeports.push(result.value);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  await until(
    'C to route to both other nodes',
    async () => {
      const routes = await monitor<{ num_routes?: number }>(bare, '/routez').catch(() => undefined);
      return routes?.num_routes === 2 ? true : undefined;
    },
    60_000,
  );

  identity = join(work, 'checker.id');
  const printed = (await run(['bus', 'identity', 'new', identity])).stdout;
  const key = (label: string) => printed.match(new RegExp(`^${label}\\s+([0-9a-f]{64})$`, 'm'))?.[1] ?? '';
  const added = await run([
    ...['bus', 'user', 'add', '--data-dir', a().dataDir, '--handle', 'checker'],
    ...['--sign-pub', key('sign-pub'), '--kex-pub', key('kex-pub')],
  ]);
  expect(added.stdout).toContain('added checker (member)');
}, 180_000);

afterAll(async () => {
  for (const child of checks) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await stopAll();
  await bare?.stop();
  removeTempDirs();
});

/**
 * Runs the loop, kills the node it is attached to once it has received a few messages, and checks that it
 * failed over to another node, kept receiving and passed.
 */
async function survivesTheKill(args: string[], candidates: readonly string[]) {
  const check = startCheck([...['--mode', 'loop', '--duration', '12s', '--interval', '200ms'], ...args]);
  // A few round trips first, so the kill lands on a check that is working.
  const before = await until(
    'the check to receive on its first server',
    async () => {
      const tick = lastTick(check.out());
      return tick?.up && tick.recv >= 5 ? tick : undefined;
    },
    30_000,
  );
  const attached = before.value.server;
  expect(candidates, check.out()).toContain(attached);
  const victim = nodeAt(attached) as Node;
  const receivedAtKill = lastTick(check.out())?.recv ?? 0;
  process.kill(victim.pid() as number, 'SIGKILL');

  const failover = await until(
    'the failover line',
    async () =>
      check.out().match(new RegExp(`^FAILOVER: now attached to (\\S+) \\(was ${attached}\\)$`, 'm'))?.[1],
    20_000,
  );
  expect(failover.value).not.toBe(attached);
  expect(candidates).toContain(failover.value);

  const code = await check.exited;
  const out = check.out();
  expect({ code, stderr: check.err() }, out).toEqual({ code: 0, stderr: '' });
  // Receiving went on on the other node after the kill, up to the end.
  const after = ticks(out).filter((tick) => tick.server === failover.value);
  expect(after.length).toBeGreaterThan(5);
  expect(after.at(-1)?.recv ?? 0).toBeGreaterThan(receivedAtKill + 5);
  expect(out).toMatch(/^FAILOVER OBSERVED: 1 time\(s\)/m);
  expect(out).not.toContain('MISSING while connected');
  expect(out).toMatch(/^LOOP OK: kept receiving across the run/m);
  expect(out).toMatch(/^deleted room [a-z2-7]{20}$/m);
}

describe('homeport bus check --mode loop in a three-node cluster', () => {
  it("fails over along the servers A's credential lists when the node it is attached to is killed", async () => {
    const [nodeA, nodeB] = nodes();
    const servers = [nodeA, nodeB].map((node) => `nats://${node?.server}`);
    // B's node is in A's credentials once B has announced it.
    const client = BusClient.create({ controlUrls: [a().url], identity: await loadIdentity(identity) });
    const listed = await until(
      "B's node in A's credential",
      async () => {
        const credential = await client.control.call<{ servers: string[] }>('POST', '/credentials', {
          natsPub: createUser().getPublicKey(),
        });
        return credential.servers.length === 2 ? credential.servers : undefined;
      },
      30_000,
    );
    expect([...listed.value].sort()).toEqual([...servers].sort());
    await survivesTheKill(
      ['--url', a().url, '--identity', identity],
      [nodeA, nodeB].map((node) => node?.server as string),
    );
  }, 90_000);

  it('exits 1 and says why when the only server it is given dies and messages are lost', async () => {
    // Nothing killed C before: it is the one server this check is given, and it stays down once killed.
    if (bare.pid === undefined) throw new Error('C is not running');
    const check = startCheck([
      ...['--mode', 'loop', '--duration', '6s', '--interval', '200ms'],
      ...['--url', a().url, '--identity', identity, '--nats-server', `nats://127.0.0.1:${bare.port}`],
    ]);
    await until(
      'the check to receive',
      async () => ((lastTick(check.out())?.recv ?? 0) >= 3 ? true : undefined),
      30_000,
    );
    process.kill(bare.pid, 'SIGKILL');
    const code = await check.exited;
    const out = check.out();
    expect(code, out).toBe(1);
    expect(out).toMatch(
      new RegExp(`^NATS connection to 127\\.0\\.0\\.1:${bare.port} lost; reconnecting…$`, 'm'),
    );
    expect(out).toMatch(/^loop done: sent=(\d+) received=(\d+) missing=[1-9]\d*$/m);
    expect(out).toMatch(/^ {2}MISSING during an outage: check-loop-\d+/m);
    expect(check.err().trim()).toMatch(
      /^homeport: LOOP FAIL: the NATS connection was lost at t=[\d.]+s and never came back; \d+\/\d+ messages missing$/,
    );
  }, 60_000);

  it('fails over along --nats-server when the node it is attached to is killed', async () => {
    // C is down for good now; A's and B's nodes are back (each Homeport restarts its node a second after a kill).
    const [nodeA, nodeB] = nodes() as [Node, Node];
    await until(
      "A's and B's nodes to run",
      async () =>
        [nodeA, nodeB].every((node) => node.pid() !== undefined && alive(node.pid())) ? true : undefined,
      30_000,
    );
    await survivesTheKill(
      ['--url', a().url, '--identity', identity, '--nats-server', `${nodeA.server},${nodeB.server}`],
      [nodeA.server, nodeB.server],
    );
  }, 90_000);
});
