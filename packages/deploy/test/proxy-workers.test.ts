// The proxy in two real worker processes (HOMEPORT_PROXY_WORKERS=2): connections spread over both, a route
// change is in effect in every worker once it resolves, a drain waits for what each worker holds, maintenance
// reaches all, a killed worker is replaced and gets the table before it serves, and stop lets requests finish.

import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { Config, ConfigError } from '@homeport/core';
import { until } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { deploySettings, proxyWorkerCount } from '../src/settings.js';
import { echoUpgrades, openUpgrade, send, startNamedUpstream, type TestUpstream } from './proxy-support.js';
import {
  alive,
  type HoldingUpstream,
  startHoldingUpstream,
  startPool,
  type TestPool,
} from './proxy-workers-support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const HOST = 'app.example.com';
const route = (upstream: string, color: string) => ({
  upstream,
  stage: 'app/production',
  release: color,
  color,
});

async function pool(options: Parameters<typeof startPool>[0] = {}): Promise<TestPool> {
  const started = await startPool(options);
  cleanups.push(() => started.pool.close());
  return started;
}

async function holding(name: string): Promise<HoldingUpstream> {
  const upstream = await startHoldingUpstream(name);
  cleanups.push(upstream.close);
  return upstream;
}

async function named(name: string): Promise<TestUpstream> {
  const upstream = await startNamedUpstream(name);
  cleanups.push(upstream.close);
  return upstream;
}

/** `n` requests, each on its own new connection, held by the upstream until it is released. */
function holdRequests(port: number, n: number) {
  return Array.from({ length: n }, () => send(port, HOST, { path: '/slow' }));
}

describe('built-in proxy in worker processes', () => {
  it('spreads connections over both workers and sums what they hold in flight', async () => {
    const slow = await holding('slow');
    // Homeport's variables (secrets among them) never reach a worker: its configuration comes over IPC.
    process.env.HOMEPORT_TEST_WORKER_SECRET = 'not-for-workers';
    const p = await pool({ probeToken: 'probe-token-for-the-worker-test' }).finally(() => {
      delete process.env.HOMEPORT_TEST_WORKER_SECRET;
    });
    await p.pool.setRoute(HOST, route(slow.url, 'blue'));
    expect(p.pool.pids()).toHaveLength(2);
    for (const pid of p.pool.pids()) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(environ).toContain('PATH=');
      expect(environ).not.toContain('HOMEPORT_');
      expect(environ).not.toContain('probe-token-for-the-worker-test');
    }
    const answers = holdRequests(p.port, 16);
    await until(() => slow.held() === 16);
    const byWorker = await p.pool.inFlightByWorker(slow.url);
    expect(byWorker).toHaveLength(2);
    for (const { count } of byWorker) expect(count.http).toBeGreaterThan(0);
    expect(await p.pool.inFlight(slow.url)).toEqual({ http: 16, longLived: 0 });
    slow.release();
    for (const answer of await Promise.all(answers)) expect(answer.status).toBe(200);
    // The probe token reached the workers (over IPC): the deployer's check through the proxy works.
    const probed = await send(p.port, HOST, {
      headers: { 'x-homeport-probe': 'probe-token-for-the-worker-test' },
    });
    expect(probed.headers['x-homeport-color']).toBe('blue');
    // Metrics are counted in the workers and summed on a scrape of the primary's registry.
    const metrics = await p.registry.metrics();
    expect(metrics).toContain('homeport_proxy_requests_total{stage="app/production",status_class="2xx"} 17');
  });

  it('sends every request that starts after a switch resolved to the new upstream, on any worker', async () => {
    const blue = await named('blue');
    const green = await named('green');
    const p = await pool();
    const colors = [blue, green];
    const names = ['blue', 'green'];
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    let started = 0;
    let done = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    cleanups.push(async () => agent.destroy());
    const wrong: string[] = [];
    const failures: unknown[] = [];
    let checked = 0;
    let running = true;
    const loop = async () => {
      while (running) {
        const doneAtStart = done;
        try {
          const res = await send(p.port, HOST, { agent, path: '/x' });
          // No switch began between this request's start and its answer: only one upstream is right.
          if (started === doneAtStart) {
            checked++;
            const expected = names[doneAtStart % 2];
            if (res.headers['x-upstream'] !== expected)
              wrong.push(`${String(res.headers['x-upstream'])} after ${doneAtStart} switches`);
          }
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const loops = Array.from({ length: 32 }, loop);
    await until(() => checked > 50);
    for (let i = 1; i <= 20; i++) {
      started = i;
      const target = colors[i % 2] as TestUpstream;
      await p.pool.setRoute(HOST, route(target.url, names[i % 2] as string));
      done = i;
      const before = checked;
      await until(() => checked > before + 20);
    }
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(400);
  });

  it('drains an upstream: waits for slow requests held by each worker, then reports them completed', async () => {
    const blue = await holding('blue');
    const green = await named('green');
    const p = await pool();
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    const answers = holdRequests(p.port, 8);
    await until(() => blue.held() === 8);
    const byWorker = await p.pool.inFlightByWorker(blue.url);
    expect(byWorker.every(({ count }) => count.http > 0)).toBe(true);
    await p.pool.setRoute(HOST, route(green.url, 'green'));
    let drained = false;
    const drain = p.pool.drain(blue.url, 10_000).then((result) => {
      drained = true;
      return result;
    });
    // Still waiting while the requests are held, on both workers.
    await until(async () => (await p.pool.inFlight(blue.url)).http === 8);
    expect(drained).toBe(false);
    blue.release();
    expect(await drain).toEqual({ completed: 8, cut: 0, closedLongLived: 0 });
    for (const answer of await Promise.all(answers)) expect(answer.status).toBe(200);
    expect((await send(p.port, HOST)).headers['x-upstream']).toBe('green');
  });

  it('keeps each WebSocket in the worker that accepted it and closes them there on a drain', async () => {
    const blue = await named('blue');
    echoUpgrades(blue, 'blue');
    const p = await pool();
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    const sockets = await Promise.all(Array.from({ length: 6 }, () => openUpgrade(p.port, HOST)));
    for (const ws of sockets) {
      const echoed = ws.next();
      ws.socket.write('ping');
      expect(await echoed).toBe('blue:ping');
    }
    const byWorker = await p.pool.inFlightByWorker(blue.url);
    expect(byWorker.map(({ count }) => count.longLived).reduce((a, b) => a + b, 0)).toBe(6);
    for (const { count } of byWorker) expect(count.longLived).toBeGreaterThan(0);
    expect(await p.pool.drain(blue.url, 5_000)).toEqual({ completed: 0, cut: 0, closedLongLived: 6 });
    await Promise.all(sockets.map((ws) => ws.closed));
    expect(await p.pool.inFlight(blue.url)).toEqual({ http: 0, longLived: 0 });
  });

  it('cuts what is left on every worker when the drain times out', async () => {
    const blue = await holding('blue');
    const p = await pool();
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    const answers = holdRequests(p.port, 6).map((answer) =>
      answer.then(
        () => 'answered',
        () => 'cut',
      ),
    );
    await until(() => blue.held() === 6);
    expect(await p.pool.drain(blue.url, 200)).toEqual({ completed: 0, cut: 6, closedLongLived: 0 });
    expect(await Promise.all(answers)).toEqual(Array(6).fill('cut'));
  });

  it('puts a host in maintenance on every worker once the call resolves, and lifts it', async () => {
    const blue = await named('blue');
    const p = await pool();
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    await p.pool.setMaintenance(HOST, 'Back at <b>10:00</b>');
    const during = await Promise.all(Array.from({ length: 20 }, () => send(p.port, HOST)));
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('Back at &lt;b&gt;10:00&lt;/b&gt;');
    }
    expect(p.pool.routes()).toEqual([
      { host: HOST, ...route(blue.url, 'blue'), maintenance: 'Back at <b>10:00</b>' },
    ]);
    await p.pool.setMaintenance(HOST, null);
    const after = await Promise.all(Array.from({ length: 20 }, () => send(p.port, HOST)));
    for (const answer of after) expect(answer.status).toBe(200);
    expect(await p.pool.removeRoute(HOST)).toBe(true);
    for (const answer of await Promise.all(Array.from({ length: 10 }, () => send(p.port, HOST))))
      expect(answer.status).toBe(404);
  });

  it('replaces a SIGKILLed worker, which gets the current table before it serves', async () => {
    const blue = await named('blue');
    const green = await holding('green');
    const p = await pool();
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    const [victim, survivor] = p.pool.pids();
    if (victim === undefined || survivor === undefined) throw new Error('two workers expected');
    process.kill(victim, 'SIGKILL');
    await until(() => p.logged('proxy worker exited; restarting it').length === 1);
    // Switched while one worker is down: its replacement must start with green, never serve blue or a 404.
    await p.pool.setRoute(HOST, route(green.url, 'green'));
    const replacement = await until(() => p.pool.pids().find((pid) => pid !== victim && pid !== survivor));
    await until(() => p.logged('proxy worker listening').length === 3);
    const answers = holdRequests(p.port, 12);
    await until(() => green.held() === 12);
    const byWorker = await p.pool.inFlightByWorker(green.url);
    expect(byWorker.map(({ pid }) => pid).sort()).toEqual([replacement, survivor].sort());
    for (const { count } of byWorker) expect(count.http).toBeGreaterThan(0);
    green.release();
    for (const answer of await Promise.all(answers)) expect(answer.headers['x-upstream']).toBe('green');
    expect(alive(victim)).toBe(false);
  });

  it('stops: the port refuses new connections, requests in flight finish, then every worker is gone', async () => {
    const blue = await holding('blue');
    const p = await startPool({ stopTimeoutMs: 10_000 });
    await p.pool.setRoute(HOST, route(blue.url, 'blue'));
    const pids = p.pool.pids();
    const answers = holdRequests(p.port, 4);
    await until(() => blue.held() === 4);
    let closed = false;
    const closing = p.pool.close().then(() => {
      closed = true;
    });
    // A connection made in the moment the workers close may be held until they exit (then reset): each try
    // gets its own short bound, and what it ends with later is ignored.
    await until(async () => {
      const outcome = await Promise.race([
        send(p.port, HOST).then(
          () => 'answered',
          (err: NodeJS.ErrnoException) => err.code ?? 'error',
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('pending'), 300)),
      ]);
      return outcome === 'ECONNREFUSED';
    });
    expect(closed).toBe(false);
    blue.release();
    for (const answer of await Promise.all(answers)) expect(answer.status).toBe(200);
    await closing;
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(p.logged('proxy workers still busy at the stop bound; killing them')).toEqual([]);
  });

  it('reads HOMEPORT_PROXY_WORKERS as a count from 1 to 64 or auto (one per core, at most 8)', () => {
    const read = (value: string) =>
      new Config({ env: { HOMEPORT_PROXY_WORKERS: value } }).read(deploySettings);
    expect(new Config({ env: {} }).read(deploySettings).proxyWorkers).toBe(1);
    expect(read('3').proxyWorkers).toBe(3);
    expect(read('auto').proxyWorkers).toBe('auto');
    for (const bad of ['0', '65', 'two', '-1', '1.5']) expect(() => read(bad), bad).toThrow(ConfigError);
    expect(proxyWorkerCount('auto', 2)).toBe(2);
    expect(proxyWorkerCount('auto', 32)).toBe(8);
    expect(proxyWorkerCount('auto', 1)).toBe(1);
    expect(proxyWorkerCount(5, 2)).toBe(5);
  });
});
