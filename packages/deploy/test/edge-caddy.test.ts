// The Caddy edge against a real `caddy run` (2.6, http only, admin and listener on free loopback ports):
// client → caddy → built-in proxy → node upstreams. Caddy 2.6 closes every proxied WebSocket on any admin
// change, so the driver must never change Caddy's config for a host change; these tests hold it to that.

import { createLogger } from '@homeport/core';
import { type CaddyInstance, freePort, startCaddy, until } from '@homeport/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeDriver } from '../src/edge/index.js';
import {
  type AdminTransport,
  type CaddyEdgeOptions,
  caddyAdminRequest,
  createCaddyEdge,
} from '../src/edge/index.js';
import { DeployError } from '../src/errors.js';
import {
  echoUpgrades,
  openEventStream,
  openUpgrade,
  send,
  startNamedUpstream,
  startProxy,
  startUpstream,
  type TestProxy,
} from './proxy-support.js';

const log = createLogger({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

let caddy: CaddyInstance;
let proxy: TestProxy;
beforeAll(async () => {
  [caddy, proxy] = await Promise.all([startCaddy(), startProxy()]);
});
afterAll(async () => {
  await proxy.close();
  await caddy.stop();
});

/** The default admin transport, recording every request the driver sends (method and path). */
function countingTransport(): { transport: AdminTransport; changes: () => string[] } {
  const all: string[] = [];
  const transport: AdminTransport = (method, url, body, limits) => {
    all.push(`${method} ${new URL(url).pathname}`);
    return caddyAdminRequest(method, url, body, limits);
  };
  return { transport, changes: () => all.filter((line) => !line.startsWith('GET ')) };
}

/** The test's own admin requests: a fresh connection each, like the driver (see caddyAdminRequest). */
function admin(method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const json = body === undefined ? undefined : JSON.stringify(body);
  return caddyAdminRequest(method, `${caddy.adminUrl}${path}`, json, {
    timeoutMs: 10_000,
    maxBytes: 8 << 20,
  });
}

async function adminConfig(): Promise<unknown> {
  return JSON.parse((await admin('GET', '/config/')).text);
}

async function newEdge(
  serverName: string,
  overrides: Partial<CaddyEdgeOptions> = {},
): Promise<{ edge: EdgeDriver; port: number; changes: () => string[] }> {
  const port = await freePort();
  const counter = countingTransport();
  const edge = createCaddyEdge({
    adminUrl: caddy.adminUrl,
    proxyUpstream: `127.0.0.1:${proxy.port}`,
    serverName,
    listen: [`127.0.0.1:${port}`],
    tls: 'off',
    log,
    transport: counter.transport,
    ...overrides,
  });
  cleanups.push(() => edge.close());
  return { edge, port, changes: counter.changes };
}

const route = (upstream: string, color: string) => ({
  upstream,
  stage: 'x/production',
  release: color,
  color,
});

describe('caddy edge', () => {
  it('keeps a WebSocket to host A open and echoing while host B is added, host C removed and B deployed', async () => {
    const a = await startNamedUpstream('a');
    const b1 = await startNamedUpstream('b1');
    const b2 = await startNamedUpstream('b2');
    cleanups.push(a.close, b1.close, b2.close);
    echoUpgrades(a, 'a');
    proxy.proxy.setRoute('a.example.test', route(a.url, 'blue'));
    proxy.proxy.setRoute('b.example.test', route(b1.url, 'blue'));
    proxy.proxy.setRoute('c.example.test', route(b1.url, 'blue'));
    const { edge, port, changes } = await newEdge('ws');

    await edge.sync(['c.example.test']);
    expect(changes().length).toBeGreaterThan(0); // the server and route were created
    const setUp = changes().length;
    await edge.addHost('a.example.test');
    const viaCaddy = await send(port, 'a.example.test', { path: '/hello' });
    expect(viaCaddy.status).toBe(200);
    expect(viaCaddy.headers['x-upstream']).toBe('a');

    const ws = await openUpgrade(port, 'a.example.test');
    let closed = false;
    void ws.closed.then(() => {
      closed = true;
    });
    const first = ws.next();
    ws.socket.write('one');
    expect(await first).toBe('a:one');

    await edge.addHost('b.example.test');
    await edge.removeHost('c.example.test');
    expect((await send(port, 'b.example.test')).headers['x-upstream']).toBe('b1');
    // A deploy of B is a switch in the built-in proxy; the edge is not told at all.
    proxy.proxy.setRoute('b.example.test', route(b2.url, 'green'));
    expect((await send(port, 'b.example.test')).headers['x-upstream']).toBe('b2');

    expect(changes().length).toBe(setUp);
    const second = ws.next();
    ws.socket.write('two');
    expect(await second).toBe('a:two');
    expect(closed).toBe(false);

    // The control: any real admin change (here someone else's route) reloads Caddy 2.6, which cuts the
    // WebSocket — so the assertions above would catch a driver that wrote per-host routes.
    const other = await admin('PUT', '/config/apps/http/servers/ws/routes/0', {
      match: [{ host: ['other.example.test'] }],
      handle: [{ handler: 'static_response', body: 'other' }],
    });
    expect(other.status).toBe(200);
    await until(() => closed, 5000);
    ws.socket.destroy();
  });

  it('passes the Host header, X-Forwarded-Proto and an unbuffered event stream; an unknown host is the proxy 404', async () => {
    const app = await startUpstream((req, res) => {
      if (req.url === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: first\n\n'); // and the stream stays open
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
    });
    cleanups.push(app.close);
    // Caddy straight in front of the app, to see what Caddy itself sends upstream.
    const direct = new URL(app.url);
    const { edge, port } = await newEdge('hdr', { proxyUpstream: `127.0.0.1:${direct.port}` });
    await edge.sync(['shop.example.test']);
    const res = await send(port, 'shop.example.test', { headers: { 'x-forwarded-proto': 'https' } });
    const headers = JSON.parse(res.body) as Record<string, string>;
    expect(headers.host).toBe('shop.example.test');
    expect(headers['x-forwarded-proto']).toBe('http'); // the client's claim replaced by what Caddy saw
    expect(headers['x-forwarded-host']).toBe('shop.example.test');
    const stream = await openEventStream(port, 'shop.example.test');
    await until(() => stream.events.length === 1, 5000);
    expect(stream.events[0]).toBe('data: first');
    stream.res.destroy();

    const { edge: viaProxy, port: proxied } = await newEdge('unknown');
    await viaProxy.sync([]);
    expect((await send(proxied, 'nobody.example.test')).status).toBe(404);
  });

  it('sync converges from any state, leaves routes others made, and then sends nothing', async () => {
    const app = await startNamedUpstream('conv');
    cleanups.push(app.close);
    proxy.proxy.setRoute('conv.example.test', route(app.url, 'blue'));
    const { edge, port, changes } = await newEdge('conv');
    await edge.sync(['conv.example.test']);
    expect((await send(port, 'conv.example.test')).headers['x-upstream']).toBe('conv');

    // Someone changes the server: another listen address, our route deleted, their own route added.
    const elsewhere = await freePort();
    expect(
      (await admin('PATCH', '/config/apps/http/servers/conv/listen', [`127.0.0.1:${elsewhere}`])).status,
    ).toBe(200);
    expect((await admin('DELETE', '/id/homeport-edge-conv')).status).toBe(200);
    const theirs = {
      '@id': 'operator-route',
      match: [{ host: ['theirs.example.test'] }],
      handle: [{ handler: 'static_response', body: 'theirs' }],
      terminal: true,
    };
    expect((await admin('POST', '/config/apps/http/servers/conv/routes', theirs)).status).toBe(200);
    await until(
      async () => (await send(elsewhere, 'conv.example.test').catch(() => undefined))?.status === 200,
      5000,
    );

    const before = changes().length;
    await edge.sync(['conv.example.test']);
    expect(changes().length - before).toBe(2); // listen back, route appended
    expect((await send(port, 'conv.example.test')).headers['x-upstream']).toBe('conv');
    expect((await send(port, 'theirs.example.test')).body).toBe('theirs');

    const config = await adminConfig();
    await edge.sync(['conv.example.test']);
    await edge.sync(['conv.example.test', 'other.example.test']);
    await edge.addHost('third.example.test');
    await edge.removeHost('third.example.test');
    expect(changes().length - before).toBe(2);
    expect(await adminConfig()).toEqual(config);
  });

  it('gives certificates on demand only to the hosts it carries (tls internal)', async () => {
    const app = await startNamedUpstream('tls');
    cleanups.push(app.close);
    proxy.proxy.setRoute('secure.example.test', route(app.url, 'blue'));
    proxy.proxy.setRoute('late.example.test', route(app.url, 'blue'));
    const { edge, port } = await newEdge('tls', { tls: 'internal' });
    await edge.sync(['secure.example.test']);
    const { request } = await import('node:https');
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            servername: host,
            headers: { host },
            rejectUnauthorized: false,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get('secure.example.test')).toBe(200);
    // Not carried: the ask endpoint says no, Caddy has no certificate and the handshake fails.
    await expect(get('late.example.test')).rejects.toThrow();
    await edge.addHost('late.example.test');
    expect(await get('late.example.test')).toBe(200);
    await edge.addHost('gone.example.test');
    await edge.removeHost('gone.example.test');
    await expect(get('gone.example.test')).rejects.toThrow();
  });

  it('refuses host names that are not plain DNS names, and admin URLs off loopback', async () => {
    const { edge, changes } = await newEdge('bad');
    for (const host of [
      '',
      '*.example.test',
      'a.example.test"},{"handler":"x',
      '../etc',
      'a b.test',
      'a.test:80',
      'a.test.',
      '10.0.0.1',
      '-a.test',
      'a_b.test',
      `${'a'.repeat(64)}.test`,
      'a.test/x',
    ]) {
      await expect(edge.addHost(host), host).rejects.toBeInstanceOf(DeployError);
      await expect(edge.sync([host]), host).rejects.toThrow(/not a host name/);
    }
    expect(changes()).toEqual([]);
    for (const adminUrl of [
      'http://10.0.0.1:2019',
      'https://127.0.0.1:2019',
      'http://user:pw@127.0.0.1:2019',
      'http://127.0.0.1:2019/x',
    ]) {
      expect(() =>
        createCaddyEdge({ adminUrl, proxyUpstream: '127.0.0.1:1', listen: [':443'], tls: 'auto', log }),
      ).toThrow(/adminUrl/);
    }
    expect(() =>
      createCaddyEdge({
        adminUrl: caddy.adminUrl,
        proxyUpstream: '10.0.0.2:80',
        listen: [':443'],
        tls: 'auto',
        log,
      }),
    ).toThrow(/proxyUpstream/);
  });

  it('reports an unreachable admin API as edge_failed', async () => {
    const { edge } = await newEdge('down', { adminUrl: `http://127.0.0.1:${await freePort()}` });
    await expect(edge.sync(['a.example.test'])).rejects.toMatchObject({ code: 'edge_failed' });
  });
});
