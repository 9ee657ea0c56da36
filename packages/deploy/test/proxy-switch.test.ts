// The atomic switch and the drain: flipping a route under a constant stream of keep-alive requests fails
// none of them, and a drain lets in-flight requests to the old color finish while it closes its WebSocket
// and SSE connections at once, cutting what is left when its timeout passes.

import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  echoUpgrades,
  openEventStream,
  openUpgrade,
  send,
  startNamedUpstream,
  startProxy,
  startUpstream,
  type TestUpstream,
} from './proxy-support.js';

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

describe('built-in proxy switch', () => {
  it('flips between two upstreams 60 times under constant keep-alive load with zero failed requests', async () => {
    const blue = await startNamedUpstream('blue');
    const green = await startNamedUpstream('green');
    cleanups.push(blue.close, green.close);
    const p = await startProxy();
    cleanups.push(p.close);
    const targets = [blue, green];
    const names = ['blue', 'green'];
    let flip = 0;
    p.proxy.setRoute(HOST, route(blue.url, 'blue'));

    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(async () => agent.destroy());
    const results: { status: number; name: string; startFlip: number; endFlip: number }[] = [];
    const failures: unknown[] = [];
    let running = true;
    const loop = async () => {
      while (running) {
        const startFlip = flip;
        try {
          const res = await send(p.port, HOST, { agent, path: '/work' });
          results.push({
            status: res.status,
            name: String(res.headers['x-upstream']),
            startFlip,
            endFlip: flip,
          });
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const loops = Array.from({ length: 4 }, loop);

    for (flip = 1; flip <= 60; ) {
      p.proxy.setRoute(HOST, route((targets[flip % 2] as TestUpstream).url, names[flip % 2] as string));
      const current = flip;
      // Let at least a few requests that started after this switch finish before the next one.
      await vi.waitFor(
        () =>
          expect(
            results.filter((r) => r.startFlip === current && r.endFlip === current).length,
          ).toBeGreaterThanOrEqual(3),
        {
          timeout: 10_000,
          interval: 1,
        },
      );
      flip++;
    }
    running = false;
    await Promise.all(loops);

    expect(failures).toEqual([]);
    expect(results.every((r) => r.status === 200)).toBe(true);
    // A request that started after a switch returned and ended before the next went to that switch's upstream.
    const settled = results.filter((r) => r.startFlip === r.endFlip);
    expect(settled.length).toBeGreaterThanOrEqual(180);
    for (const r of settled) expect(r.name).toBe(names[r.startFlip % 2]);
    console.info(`switch: ${results.length} requests over 60 switches, 0 failed`);
  });
});

describe('built-in proxy drain', () => {
  async function blueGreen() {
    let releaseSlow: () => void = () => {};
    let slowArrived = false;
    const blue = await startUpstream((req, res) => {
      if (req.url === '/slow') {
        slowArrived = true;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first half;');
        releaseSlow = () => res.end('second half');
        return;
      }
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: blue\n\n');
        return;
      }
      res.end('blue');
    });
    echoUpgrades(blue, 'blue');
    const green = await startNamedUpstream('green');
    cleanups.push(blue.close, green.close);
    const p = await startProxy();
    cleanups.push(p.close);
    p.proxy.setRoute(HOST, route(blue.url, 'blue'));
    return { blue, green, p, release: () => releaseSlow(), slowArrived: () => slowArrived };
  }

  function slowRequest(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/slow', headers: { host: HOST }, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve(body));
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('aborted')));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('lets an in-flight request to the old color finish after the switch, closing its WebSocket and SSE at once', async () => {
    const { blue, green, p, release, slowArrived } = await blueGreen();
    const slow = slowRequest(p.port);
    await vi.waitFor(() => expect(slowArrived()).toBe(true), { timeout: 5_000, interval: 10 });
    const events = await openEventStream(p.port, HOST);
    await vi.waitFor(() => expect(events.events).toEqual(['data: blue']), { timeout: 5_000, interval: 10 });
    const ws = await openUpgrade(p.port, HOST);
    expect(p.proxy.inFlight(blue.url)).toEqual({ http: 1, longLived: 2 });

    p.proxy.setRoute(HOST, route(green.url, 'green'));
    expect(JSON.parse((await send(p.port, HOST)).body).name).toBe('green');
    let drained: Awaited<ReturnType<typeof p.proxy.drain>> | undefined;
    const draining = p.proxy.drain(blue.url, 10_000).then((r) => {
      drained = r;
    });

    // Long-lived connections go at once; the plain request is still running and the drain still waits.
    await Promise.all([events.ended, ws.closed]);
    expect(p.proxy.inFlight(blue.url)).toEqual({ http: 1, longLived: 0 });
    expect(drained).toBeUndefined();

    release();
    expect(await slow).toBe('first half;second half');
    await draining;
    expect(drained).toEqual({ completed: 1, cut: 0, closedLongLived: 2 });
    // A reconnect lands on the new color.
    const again = await openEventStream(p.port, HOST);
    expect(again.res.headers['content-type']).toBe('application/json');
  });

  it('cuts what is still running when the drain timeout passes', async () => {
    const { blue, green, p, slowArrived } = await blueGreen();
    const slow = slowRequest(p.port);
    await vi.waitFor(() => expect(slowArrived()).toBe(true), { timeout: 5_000, interval: 10 });
    p.proxy.setRoute(HOST, route(green.url, 'green'));
    const result = await p.proxy.drain(blue.url, 200);
    expect(result).toEqual({ completed: 0, cut: 1, closedLongLived: 0 });
    await expect(slow).rejects.toThrow();
    expect(p.proxy.inFlight(blue.url)).toEqual({ http: 0, longLived: 0 });
    // The new color keeps serving.
    expect((await send(p.port, HOST)).status).toBe(200);
  });
});
