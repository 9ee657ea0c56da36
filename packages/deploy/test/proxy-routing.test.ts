// The built-in proxy's routing and its own answers: Host matching, X-Forwarded-*, hop-by-hop headers, the
// 404/400/413/502/503/504 pages, validation of routes, and metrics without health probes.

import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyError } from '../src/proxy/index.js';
import {
  send,
  startNamedUpstream,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function upstream(name: string): Promise<TestUpstream> {
  const u = await startNamedUpstream(name);
  cleanups.push(u.close);
  return u;
}

async function proxy(limits: Parameters<typeof startProxy>[0] = {}): Promise<TestProxy> {
  const p = await startProxy(limits);
  cleanups.push(p.close);
  return p;
}

const route = (upstreamUrl: string, extra: Record<string, unknown> = {}) => ({
  upstream: upstreamUrl,
  stage: 'shop/production',
  release: 'r1',
  color: 'blue',
  ...extra,
});

function expectErrorPage(
  res: { status: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toContain(`<h1>${status} `);
}

describe('built-in proxy routing', () => {
  it('routes by Host, case-insensitively, ignoring the port and a trailing dot', async () => {
    const shop = await upstream('shop');
    const blog = await upstream('blog');
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(shop.url));
    p.setRoute('Blog.Example.com', route(blog.url, { stage: 'blog/production' }));

    for (const host of ['shop.example.com', 'SHOP.Example.COM:8443', 'shop.example.com.']) {
      const res = await send(port, host, { path: '/cart?x=1' });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ name: 'shop', url: '/cart?x=1' });
    }
    expect(JSON.parse((await send(port, 'blog.example.com')).body).name).toBe('blog');
    // The upstream sees the Host the client asked for.
    expect(JSON.parse((await send(port, 'blog.example.com:80')).body).headers.host).toBe(
      'blog.example.com:80',
    );
    expect(
      p
        .routes()
        .map((r) => r.host)
        .sort(),
    ).toEqual(['blog.example.com', 'shop.example.com']);
  });

  it('answers 404 for an unknown host and 400 for a malformed one, without echoing either', async () => {
    const { port } = await proxy();
    const unknown = await send(port, 'attacker-chosen-name.example');
    expectErrorPage(unknown, 404);
    expect(unknown.body).not.toContain('attacker-chosen-name');
    const xss = await send(port, 'a<script>alert(1)</script>.example');
    expectErrorPage(xss, 400);
    expect(xss.body).not.toContain('<script>');
  });

  it('refuses an absolute-form request target naming another authority', async () => {
    const shop = await upstream('shop');
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(shop.url));
    const res = await send(port, 'shop.example.com', { path: 'http://internal.example/admin' });
    expectErrorPage(res, 400);
  });

  it('replaces the client’s X-Forwarded-* and Forwarded headers with its own', async () => {
    const shop = await upstream('shop');
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(shop.url));
    const res = await send(port, 'shop.example.com', {
      headers: {
        'x-forwarded-for': '10.9.9.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'admin.example.com',
        forwarded: 'for=10.9.9.9',
        'x-real-ip': '10.9.9.9',
      },
    });
    const seen = JSON.parse(res.body).headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('shop.example.com');
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-real-ip']).toBeUndefined();
  });

  it('names the serving release and color to a request with the probe token only, and never forwards it', async () => {
    const shop = await upstream('shop');
    const p = await startProxy({}, undefined, { probeToken: 'probe-secret-0123456789' });
    cleanups.push(p.close);
    p.proxy.setRoute('shop.example.com', route(shop.url, { release: 'r7', color: 'green' }));

    const probed = await send(p.port, 'shop.example.com', {
      headers: { 'x-homeport-probe': 'probe-secret-0123456789' },
    });
    expect(probed.headers['x-homeport-release']).toBe('r7');
    expect(probed.headers['x-homeport-color']).toBe('green');
    expect(JSON.parse(probed.body).headers['x-homeport-probe']).toBeUndefined();

    for (const headers of [
      {},
      { 'x-homeport-probe': 'probe-secret-012345678' },
      { 'x-homeport-probe': 'wrong' },
    ]) {
      const plain = await send(p.port, 'shop.example.com', { headers });
      expect(plain.status).toBe(200);
      expect(plain.headers['x-homeport-release']).toBeUndefined();
      expect(plain.headers['x-homeport-color']).toBeUndefined();
      expect(JSON.parse(plain.body).headers['x-homeport-probe']).toBeUndefined();
    }
  });

  it('keeps the X-Forwarded-* of a trusted edge in front (checked for shape), and nobody else’s', async () => {
    const shop = await upstream('shop');
    const edge = await startProxy({}, undefined, { trustForwardedFrom: ['127.0.0.1'] });
    const other = await startProxy({}, undefined, { trustForwardedFrom: ['::1'] });
    cleanups.push(edge.close, other.close);
    for (const p of [edge, other]) p.proxy.setRoute('shop.example.com', route(shop.url));
    const claims = {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.example.com',
    };

    const kept = JSON.parse((await send(edge.port, 'shop.example.com', { headers: claims })).body).headers;
    expect(kept['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(kept['x-forwarded-proto']).toBe('https');
    expect(kept['x-forwarded-host']).toBe('shop.example.com');

    const malformed = {
      'x-forwarded-for': '203.0.113.7<script>',
      'x-forwarded-proto': 'javascript',
      'x-forwarded-host': 'evil.example.com/path',
    };
    const dropped = JSON.parse(
      (await send(edge.port, 'shop.example.com', { headers: malformed })).body,
    ).headers;
    expect(dropped['x-forwarded-for']).toBe('127.0.0.1');
    expect(dropped['x-forwarded-proto']).toBe('http');
    expect(dropped['x-forwarded-host']).toBe('shop.example.com');

    const untrusted = JSON.parse(
      (await send(other.port, 'shop.example.com', { headers: claims })).body,
    ).headers;
    expect(untrusted['x-forwarded-for']).toBe('127.0.0.1');
    expect(untrusted['x-forwarded-proto']).toBe('http');
  });

  it('strips hop-by-hop headers both ways, those named by Connection included', async () => {
    const app = await startUpstream((req, res) => {
      res.setHeader('connection', 'x-internal-hop');
      res.setHeader('x-internal-hop', 'secret');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('x-kept', 'yes');
      res.end(JSON.stringify(req.headers));
    });
    cleanups.push(app.close);
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(app.url));
    const res = await send(port, 'shop.example.com', {
      headers: {
        connection: 'x-client-hop',
        'x-client-hop': 'secret',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'x-end': '1',
      },
    });
    const seen = JSON.parse(res.body);
    expect(seen['x-client-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen['x-end']).toBe('1');
    expect(res.headers['x-internal-hop']).toBeUndefined();
    expect(res.headers['proxy-authenticate']).toBeUndefined();
    expect(res.headers['x-kept']).toBe('yes');
  });

  it('rejects routes that are not a host name and an http origin', async () => {
    const { proxy: p } = await proxy();
    for (const [host, upstreamUrl] of [
      ['shop.example.com:80', 'http://127.0.0.1:1'],
      ['shop.example.com/x', 'http://127.0.0.1:1'],
      ['shop.example.com', 'https://127.0.0.1:1'],
      ['shop.example.com', 'http://127.0.0.1:1/path'],
      ['shop.example.com', 'http://user:pw@127.0.0.1:1'],
      ['shop.example.com', 'not a url'],
    ] as const) {
      expect(() => p.setRoute(host, route(upstreamUrl))).toThrow(ProxyError);
    }
    expect(p.routes()).toEqual([]);
  });
});

describe('built-in proxy error pages', () => {
  it('answers 502 when the upstream refuses the connection', async () => {
    // A port that was bound and released: nothing listens there.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const closedPort = (probe.address() as { port: number }).port; // a TCP server's address
    await new Promise<void>((done) => probe.close(() => done()));
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(`http://127.0.0.1:${closedPort}`));
    expectErrorPage(await send(port, 'shop.example.com'), 502);
  });

  it('answers 504 when the upstream sends no headers within the timeout', async () => {
    let held = 0;
    const silent = await startUpstream(() => {
      held++; // never answers
    });
    cleanups.push(silent.close);
    const { proxy: p, port } = await proxy({ upstreamTimeoutMs: 300 });
    p.setRoute('shop.example.com', route(silent.url));
    expectErrorPage(await send(port, 'shop.example.com'), 504);
    expect(held).toBe(1);
  });

  it('answers 503 with the escaped maintenance message, and serves again when it is lifted', async () => {
    const shop = await upstream('shop');
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(shop.url));
    p.setMaintenance('shop.example.com', 'Back at 10:00 <b>soon</b>');
    const res = await send(port, 'shop.example.com');
    expectErrorPage(res, 503);
    expect(res.body).toContain('Back at 10:00 &lt;b&gt;soon&lt;/b&gt;');
    expect(p.routes()[0]?.maintenance).toBe('Back at 10:00 <b>soon</b>');
    p.setMaintenance('shop.example.com', null);
    expect((await send(port, 'shop.example.com')).status).toBe(200);
  });

  it('answers 413 on a declared length over the limit without reading or forwarding the body', async () => {
    let reached = 0;
    const app = await startUpstream((req, res) => {
      reached++;
      req.resume();
      res.end();
    });
    cleanups.push(app.close);
    const { proxy: p, port } = await proxy({ maxBodyBytes: 1024 });
    p.setRoute('shop.example.com', route(app.url));
    // The client declares 1 GiB and sends only the first KiB: the answer must not wait for the rest.
    const res = await new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
      (resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'PUT',
            path: '/upload',
            headers: { host: 'shop.example.com', 'content-length': String(1 << 30) },
          },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => {
              body += c.toString();
            });
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body, headers: r.headers }));
          },
        );
        req.on('error', reject);
        req.write(Buffer.alloc(1024));
      },
    );
    expectErrorPage(res, 413);
    expect(res.headers.connection).toBe('close');
    expect(reached).toBe(0);
  });

  it('answers 413 when a chunked body passes the limit while streaming', async () => {
    const app = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('whole body read'));
    });
    cleanups.push(app.close);
    const { proxy: p, port } = await proxy({ maxBodyBytes: 64 * 1024 });
    p.setRoute('shop.example.com', route(app.url));
    const ok = await send(port, 'shop.example.com', {
      method: 'POST',
      body: Buffer.alloc(1000),
      headers: { 'transfer-encoding': 'chunked' },
    });
    expect(ok.body).toBe('whole body read');
    const tooLarge = await send(port, 'shop.example.com', {
      method: 'POST',
      body: Buffer.alloc(256 * 1024),
      headers: { 'transfer-encoding': 'chunked' },
    });
    expectErrorPage(tooLarge, 413);
  });
});

describe('built-in proxy, upstream failing mid-response', () => {
  it('cuts the client connection instead of passing a truncated body off as complete', async () => {
    const app = await startUpstream((_req, res) => {
      // Chunked: only the missing last chunk tells the client the body is incomplete.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(100), () => res.destroy());
    });
    cleanups.push(app.close);
    const { proxy: p, port } = await proxy();
    p.setRoute('shop.example.com', route(app.url));
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, headers: { host: 'shop.example.com' }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve('complete'));
          res.on('error', () => resolve('cut'));
          res.on('aborted', () => resolve('cut'));
        },
      );
      req.on('error', () => resolve('cut'));
      req.end();
    });
    expect(outcome).toBe('cut');
  });
});

describe('built-in proxy metrics', () => {
  it('counts requests per stage and status class, leaving the health path out', async () => {
    const shop = await upstream('shop');
    const { proxy: p, port, registry } = await proxy();
    p.setRoute('shop.example.com', route(shop.url, { excludePaths: ['/healthz'] }));
    await send(port, 'shop.example.com', { path: '/' });
    await send(port, 'shop.example.com', { path: '/a' });
    for (let i = 0; i < 5; i++) await send(port, 'shop.example.com', { path: '/healthz?probe=1' });
    await send(port, 'nobody.example');
    const requests = await registry.getSingleMetric('homeport_proxy_requests_total')?.get();
    const value = (stage: string, statusClass: string) =>
      requests?.values.find((v) => v.labels.stage === stage && v.labels.status_class === statusClass)?.value;
    expect(value('shop/production', '2xx')).toBe(2);
    expect(value('_unrouted', '4xx')).toBe(1);
    const exposition = await registry.metrics();
    expect(exposition).toMatch(
      /^homeport_proxy_upstream_duration_seconds_count\{stage="shop\/production"\} 2$/m,
    );
  });
});
