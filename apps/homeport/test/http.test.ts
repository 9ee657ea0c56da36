// HTTP hardening of the whole app over a real socket: body caps, header limits, headers, CORS, rate limits,
// OpenAPI, metrics, and graceful shutdown with a request in flight.

import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, buildApp, type TestApp } from './support/app.js';
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

describe('body limits', () => {
  it('refuses an over-declared Content-Length with 413 before reading the body, and closes', async () => {
    const { port } = await listening();
    const started = Date.now();
    const raw = await openRaw(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"user',
    );
    const response = await raw.response();
    expect(statusOf(response)).toBe(413);
    expect(response).toContain('"code":"body_too_large"');
    expect(response.toLowerCase()).toContain('connection: close');
    expect(raw.socket.destroyed || raw.socket.readableEnded).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('cuts a chunked body that grows past the cap with 413', async () => {
    const { port } = await listening();
    const raw = await openRaw(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'a'.repeat(64 * 1024);
    for (let i = 0; i < 20 && !raw.socket.destroyed; i += 1)
      raw.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    expect(statusOf(await raw.response())).toBe(413);
  });

  it('answers 431 to oversized headers', async () => {
    const { port } = await listening();
    const raw = await openRaw(
      port,
      `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(40_000)}\r\n\r\n`,
    );
    expect(statusOf(await raw.response())).toBe(431);
  });
});

describe('slow clients', () => {
  it('drops a client that trickles its headers past the headers timeout', async () => {
    const { port } = await listening({ HOMEPORT_HEADERS_TIMEOUT: '1s' });
    const started = Date.now();
    const raw = await openRaw(port, 'GET /health HTTP/1.1\r\nHost: localhost\r\n');
    const timer = setInterval(() => raw.socket.writable && raw.socket.write('X-Slow: 1\r\n'), 200);
    const response = await raw.response(5000);
    clearInterval(timer);
    expect(statusOf(response)).toBe(408);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('drops a client that trickles its body past the request timeout', async () => {
    const { port } = await listening({ HOMEPORT_REQUEST_TIMEOUT: '1s' });
    const started = Date.now();
    const raw = await openRaw(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    );
    const timer = setInterval(() => raw.socket.writable && raw.socket.write(' '), 200);
    const response = await raw.response(5000);
    clearInterval(timer);
    expect(statusOf(response)).toBe(408);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('headers and operational routes', () => {
  it('sends security headers and a request id on every response', async () => {
    const { base } = await listening();
    const response = await fetch(`${base}/api/v1/auth/config`, { headers: { 'x-request-id': 'trace-123' } });
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    // An API answer: nothing may load, run or frame it if a browser renders it, nor embed it cross-origin.
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    // A page (and anything outside /api, which no route decides as API): the full set.
    const generated = await fetch(`${base}/health`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-frame-options')).toBe('DENY');
    expect(generated.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(generated.headers.get('referrer-policy')).toBe('no-referrer');
    expect(generated.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    // A URL under /api that no route matched is still answered with the page set (its route is unknown).
    const unmatched = await fetch(`${base}/api/v1/no-such-route`);
    expect(unmatched.status).toBe(404);
    expect(unmatched.headers.get('x-frame-options')).toBe('DENY');
  });

  it('/health says ok, /version names the build, unknown routes get the JSON error shape', async () => {
    const { base } = await listening();
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ service: 'control-plane', status: 'ok', name: 'homeport' });
    expect(await (await fetch(`${base}/version`)).json()).toMatchObject({
      name: 'homeport',
      version: expect.any(String),
    });
    const missing = await fetch(`${base}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'No route for GET /api/v1/nothing-here' },
    });
  });

  it('publishes an OpenAPI document describing every API route', async () => {
    const { base } = await listening();
    // The OpenAPI 3.1 shape, as far as these assertions read it.
    const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/api/v1/auth/login',
      '/api/v1/auth/me',
      '/api/v1/users/{id}',
      '/api/v1/auth/tokens',
      '/api/v1/events',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect(document.paths['/api/v1/auth/login']?.post?.requestBody).toBeDefined();
  });

  it('exposes Prometheus metrics: request durations by route and status, SSE clients', async () => {
    const { base } = await listening();
    await fetch(`${base}/api/v1/auth/me`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(
      /homeport_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/auth\/me",status="401"\} 1/,
    );
    expect(text).toContain('homeport_sse_clients 0');
  });
});

describe('CORS', () => {
  it('allows listed origins with credentials and says nothing to others', async () => {
    const { base } = await listening({ HOMEPORT_CORS_ORIGIN: 'https://ui.example' });
    const allowed = await fetch(`${base}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(`${base}/api/v1/auth/config`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // A listed origin may also post a login (it is not cross-site request forgery).
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { origin: 'https://ui.example', 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
  });
});

describe('per-IP rate limit', () => {
  it('answers 429 with Retry-After past the limit on /api, but never on /health', async () => {
    const { base } = await listening({ HOMEPORT_RATE_LIMIT_MAX: '5', HOMEPORT_RATE_LIMIT_WINDOW: '1m' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await fetch(`${base}/api/v1/auth/config`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await fetch(`${base}/api/v1/auth/config`);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, refuses new connections, closes the database', async () => {
    const { t, port, base } = await listening();
    const body = JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD });
    const half = Math.floor(body.length / 2);
    const inFlight = await openRaw(
      port,
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.homeport.close();
    expect(t.homeport.lifecycle.draining).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    inFlight.socket.write(body.slice(half));
    const response = await inFlight.response(500);
    expect(statusOf(response)).toBe(200);
    expect(response).toContain('"username":"admin"');
    const started = Date.now();
    await closing;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(t.homeport.sqlite().open).toBe(false);
  });
});
