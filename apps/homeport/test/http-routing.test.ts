// Decisions made on the matched route, not the raw URL (rate limit, CSRF), the Host allowlist and /metrics
// access — over raw sockets, because fetch and inject normalise the very URL shapes that matter here.

import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildApp, type TestApp } from './support/app.js';
import { openRaw, statusOf } from './support/raw-http.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function listening(env: Record<string, string> = {}) {
  t = await buildApp({ env: { HOMEPORT_PORT: '0', ...env } });
  const address = await t.homeport.listen();
  return { t, base: address, port: Number(new URL(address).port) };
}

/** One request on its own connection; resolves with the whole response text. */
async function raw(port: number, head: string, body = ''): Promise<string> {
  const exchange = await openRaw(port, `${head}\r\nConnection: close\r\n\r\n${body}`);
  return exchange.response();
}

const ACCESS_SHAPES = ['/api/v1/auth/config', '/%61pi/v1/auth/config', 'http://localhost/api/v1/auth/config'];

describe('the matched route decides, not the raw URL', () => {
  it.each(ACCESS_SHAPES)('counts %s against the per-IP API budget', async (target) => {
    const { port } = await listening({ HOMEPORT_RATE_LIMIT_MAX: '3', HOMEPORT_RATE_LIMIT_WINDOW: '1m' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1)
      statuses.push(statusOf(await raw(port, `GET ${target} HTTP/1.1\r\nHost: localhost`)));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it.each([
    '/api/v1/auth/logout',
    '/%61pi/v1/auth/logout',
    '/api/v1/auth/%6cogout',
    'http://localhost/api/v1/auth/logout',
  ])('refuses a cross-site POST %s with a session cookie (CSRF)', async (target) => {
    const { t, port, base } = await listening();
    const session = await t.login();
    const response = await raw(
      port,
      `POST ${target} HTTP/1.1\r\nHost: localhost\r\nOrigin: https://evil.example\r\nCookie: homeport_session=${session}\r\nContent-Length: 0`,
    );
    expect(statusOf(response)).toBe(403);
    expect(response).toContain('"code":"csrf_rejected"');
    // The session survived.
    expect((await fetch(`${base}/api/v1/auth/me`, { headers: bearer(session) })).status).toBe(200);
  });

  it('an encoded unknown API path is a JSON 404, never the web UI', async () => {
    const { port } = await listening();
    const response = await raw(
      port,
      'GET /%61pi/v1/nothing-here HTTP/1.1\r\nHost: localhost\r\nAccept: text/html',
    );
    expect(statusOf(response)).toBe(404);
    expect(response).toContain('"code":"not_found"');
  });
});

describe('Host allowlist (DNS rebinding)', () => {
  it('answers 421 to a host name it was not given, and closes', async () => {
    const { port } = await listening({ HOMEPORT_PUBLIC_URL: 'https://home.example.org' });
    const response = await raw(port, 'GET /api/v1/auth/config HTTP/1.1\r\nHost: rebind.evil.example');
    expect(statusOf(response)).toBe(421);
    expect(response).toContain('"code":"host_not_allowed"');
  });

  it('answers the public URL, loopback names, IP addresses and HOMEPORT_ALLOWED_HOSTS', async () => {
    const { port } = await listening({
      HOMEPORT_PUBLIC_URL: 'https://home.example.org',
      HOMEPORT_ALLOWED_HOSTS: 'nas.lan,*.home.arpa',
    });
    for (const host of [
      'home.example.org',
      'HOME.example.org:443',
      'localhost:8080',
      'app.localhost',
      '127.0.0.1:1234',
      '[::1]:8080',
      '192.168.1.20',
      'nas.lan',
      'box.home.arpa',
    ]) {
      const response = await raw(port, `GET /api/v1/auth/config HTTP/1.1\r\nHost: ${host}`);
      expect({ host, status: statusOf(response) }).toEqual({ host, status: 200 });
    }
    for (const host of ['evil.example', 'home.example.org.evil.example', 'home.arpa', 'nas.lan.evil']) {
      const response = await raw(port, `GET /health HTTP/1.1\r\nHost: ${host}`);
      expect({ host, status: statusOf(response) }).toEqual({ host, status: 421 });
    }
  });
});

describe('/metrics', () => {
  it('answers a direct loopback client, but not one relayed by a proxy on this machine', async () => {
    const { port } = await listening({ HOMEPORT_TRUST_PROXY: 'true' });
    const direct = await raw(port, 'GET /metrics HTTP/1.1\r\nHost: localhost');
    expect(statusOf(direct)).toBe(200);
    expect(direct).toContain('homeport_http_request_duration_seconds');
    // What a reverse proxy in front sends for a remote visitor: the socket is loopback, the client is not.
    const relayed = await raw(port, 'GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 127.0.0.1');
    expect(statusOf(relayed)).toBe(403);
    expect(relayed).not.toContain('homeport_http_request_duration_seconds');
  });

  it.each([
    'X-Real-IP: 203.0.113.4',
    'X-Forwarded-Host: homeport.example.org',
    'X-Forwarded-Proto: https',
    'X-Forwarded-Port: 443',
    'Via: 1.1 haproxy',
    'Forwarded: for=203.0.113.4',
    'X-Forwarded-For: 203.0.113.4',
  ])('treats a loopback request with "%s" as relayed by a proxy (403)', async (header) => {
    const { port } = await listening();
    const response = await raw(port, `GET /metrics HTTP/1.1\r\nHost: localhost\r\n${header}`);
    expect(statusOf(response)).toBe(403);
    expect(response).toContain('"code":"metrics_forbidden"');
  });

  it('refuses a remote client without the token', async () => {
    t = await buildApp();
    const response = await t.app.inject({ url: '/metrics', remoteAddress: '192.0.2.7' });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('metrics_forbidden');
  });

  it('with HOMEPORT_METRICS_TOKEN, wants the bearer token from everyone', async () => {
    const token = 'metrics-token-0123456789';
    t = await buildApp({ env: { HOMEPORT_METRICS_TOKEN: token } });
    const scrape = (headers: Record<string, string>, remoteAddress = '192.0.2.7') =>
      t!.app.inject({ url: '/metrics', headers, remoteAddress });
    expect((await scrape(bearer(token))).statusCode).toBe(200);
    expect((await scrape(bearer(`${token}x`))).statusCode).toBe(401);
    expect((await scrape({})).statusCode).toBe(401);
    const local = await scrape({}, '127.0.0.1');
    expect(local.statusCode).toBe(401);
    expect(local.json().error.code).toBe('metrics_unauthorized');
  });
});

describe('HOMEPORT_TRUST_PROXY: the client address behind a proxy', () => {
  /** The address a failed login was logged with (the accounts module logs `ip` from request.ip). */
  async function loggedAddress(port: number, forwardedFor: string): Promise<string | undefined> {
    const body = JSON.stringify({ username: 'nobody', password: 'wrong-password-123' });
    await raw(
      port,
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Forwarded-For: ${forwardedFor}`,
      body,
    );
    const line = t?.logs.filter((entry) => entry.includes('"login failed"')).at(-1);
    return line === undefined ? undefined : (JSON.parse(line) as { ip?: string }).ip;
  }

  /** Statuses of rate-limited API calls whose X-Forwarded-For starts with a new address each time. */
  async function rotatingLeftmost(port: number, appended: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const head = `GET /api/v1/auth/config HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 203.0.113.${i + 1}, ${appended}`;
      statuses.push(statusOf(await raw(port, head)));
    }
    return statuses;
  }

  it('true means one proxy: the right-most entry (added by it) is the client, not what the client wrote', async () => {
    const { port } = await listening({ HOMEPORT_TRUST_PROXY: 'true', HOMEPORT_RATE_LIMIT_MAX: '2' });
    // What nginx's $proxy_add_x_forwarded_for sends when the client wrote its own X-Forwarded-For.
    expect(await loggedAddress(port, '203.0.113.7, 198.51.100.9')).toBe('198.51.100.9');
    expect(await loggedAddress(port, '198.51.100.10')).toBe('198.51.100.10');
    // A rotating spoofed entry does not buy a fresh rate-limit budget.
    expect(await rotatingLeftmost(port, '198.51.100.20', 4)).toEqual([200, 200, 429, 429]);
    // Another real client has its own.
    expect(await rotatingLeftmost(port, '198.51.100.21', 1)).toEqual([200]);
  });

  it('a hop count of 2 takes the second entry from the right', async () => {
    const { port } = await listening({ HOMEPORT_TRUST_PROXY: '2' });
    expect(await loggedAddress(port, '203.0.113.7, 198.51.100.9, 10.0.0.5')).toBe('198.51.100.9');
  });

  it('a list of proxy addresses: the right-most entry that is not one of them is the client', async () => {
    const { port } = await listening({
      HOMEPORT_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8',
      HOMEPORT_RATE_LIMIT_MAX: '2',
    });
    expect(await loggedAddress(port, '203.0.113.7, 198.51.100.9, 10.1.2.3')).toBe('198.51.100.9');
    expect(await rotatingLeftmost(port, '198.51.100.20, 10.1.2.3', 3)).toEqual([200, 200, 429]);
  });

  it('without the setting, X-Forwarded-For is ignored', async () => {
    const { port } = await listening();
    expect(await loggedAddress(port, '198.51.100.9')).toBe('127.0.0.1');
  });
});
