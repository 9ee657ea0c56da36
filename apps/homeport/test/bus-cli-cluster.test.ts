// `homeport bus check --mode loop` as an operator runs it during a node failure: a Homeport whose managed
// nats-server is node 1 of a three-node cluster (nodes 2 and 3 started here, the same secret key, loopback
// routes), the check a child process given nodes 2 and 3. The nats-server it is attached to is killed
// (SIGKILL, by PID; its supervisor waits 10 minutes before a restart, so it stays down): the check logs the
// failover to the other node, keeps receiving and exits 0. Then the only server it is given is killed: the
// connection never comes back, messages are lost, and the check exits 1 naming why.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

const SECRET_KEY = 'bus-cli-cluster-secret-key-0123456789abcdef';
const log = createLogger({ level: 'silent' });
const work = tempDir('homeport-bus-cli-cluster-');
let homeport: HomeportInstance;
/** Nodes 2 and 3, started by this test: the ones it kills. */
const nodes: ManagedNats[] = [];
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
const nodeAt = (server: string) => nodes.find((node) => server === `127.0.0.1:${node.port}`);

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
  for (const i of [1, 2])
    nodes.push(
      await startManagedNats({
        dataDir: tempDir(`homeport-bus-cli-cluster-n${i + 1}-`),
        log,
        cluster: new Config({ env: clusterEnv(i) }).read(natsSettings),
        secretKey: SECRET_KEY,
        // A killed node stays down for the rest of the test.
        initialBackoffMs: 600_000,
        maxBackoffMs: 600_000,
        stopTimeoutMs: 5000,
      }),
    );
  homeport = await startHomeport({
    env: {
      HOMEPORT_MODULES: 'bus',
      HOMEPORT_EMBEDDED_AGENT: 'false',
      HOMEPORT_SECRET_KEY: SECRET_KEY,
      ...clusterEnv(0),
    },
    timeoutMs: 60_000,
  });
  for (const node of nodes)
    await until(
      `${node.serverName} to route to both other nodes`,
      async () => {
        const routes = await monitor<{ num_routes?: number }>(node, '/routez').catch(() => undefined);
        return routes?.num_routes === 2 ? true : undefined;
      },
      60_000,
    );
  identity = join(work, 'checker.id');
  const printed = (await run(['bus', 'identity', 'new', identity])).stdout;
  const key = (label: string) => printed.match(new RegExp(`^${label}\\s+([0-9a-f]{64})$`, 'm'))?.[1] ?? '';
  const added = await run([
    ...['bus', 'user', 'add', '--data-dir', homeport.dataDir, '--handle', 'checker'],
    ...['--sign-pub', key('sign-pub'), '--kex-pub', key('kex-pub')],
  ]);
  expect(added.stdout).toContain('added checker (member)');
}, 120_000);

afterAll(async () => {
  for (const child of checks) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(nodes.map((node) => node.stop()));
  await stopAll();
  removeTempDirs();
});

describe('homeport bus check --mode loop in a three-node cluster', () => {
  it('fails over when the nats-server it is attached to is killed, keeps receiving, and exits 0', async () => {
    const servers = nodes.map((node) => node.url).join(',');
    const check = startCheck([
      ...['--mode', 'loop', '--duration', '12s', '--interval', '200ms'],
      ...['--url', homeport.url, '--identity', identity, '--nats-server', servers],
    ]);
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
    const victim = nodeAt(attached);
    expect(victim, `attached to ${attached}, not one of ${servers}`).toBeDefined();
    const victimPid = victim?.pid as number;
    const receivedAtKill = lastTick(check.out())?.recv ?? 0;
    process.kill(victimPid, 'SIGKILL');

    const failover = await until(
      'the failover line',
      async () =>
        check.out().match(new RegExp(`^FAILOVER: now attached to (\\S+) \\(was ${attached}\\)$`, 'm'))?.[1],
      20_000,
    );
    expect(failover.value).not.toBe(attached);
    expect(nodeAt(failover.value)).toBeDefined();

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
  }, 60_000);

  it('exits 1 and says why when the only server it is given dies and messages are lost', async () => {
    const survivor = nodes.find((node) => node.pid !== undefined);
    expect(survivor).toBeDefined();
    const only = survivor as ManagedNats;
    const check = startCheck([
      ...['--mode', 'loop', '--duration', '6s', '--interval', '200ms'],
      ...['--url', homeport.url, '--identity', identity, '--nats-server', only.url],
    ]);
    await until(
      'the check to receive',
      async () => ((lastTick(check.out())?.recv ?? 0) >= 3 ? true : undefined),
      30_000,
    );
    process.kill(only.pid as number, 'SIGKILL');
    const code = await check.exited;
    const out = check.out();
    expect(code, out).toBe(1);
    expect(out).toMatch(
      new RegExp(`^NATS connection to 127\\.0\\.0\\.1:${only.port} lost; reconnecting…$`, 'm'),
    );
    expect(out).toMatch(/^loop done: sent=(\d+) received=(\d+) missing=[1-9]\d*$/m);
    expect(out).toMatch(/^ {2}MISSING during an outage: check-loop-\d+/m);
    expect(check.err().trim()).toMatch(
      /^homeport: LOOP FAIL: the NATS connection was lost at t=[\d.]+s and never came back; \d+\/\d+ messages missing$/,
    );
  }, 60_000);
});
