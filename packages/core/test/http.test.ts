// The HTTP factory on its own: /health and /ready while draining or without a store, schemas required on API routes, error mapping.

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerOperationalRoutes } from '../src/http/operational-routes.js';
import type { HttpApp } from '../src/http/server.js';
import {
  CoreError,
  createHttpServer,
  createLogger,
  createMetrics,
  HomeportError,
  Type,
} from '../src/index.js';

const build = (draining = false) =>
  createHttpServer({
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics({ collectProcess: false }),
    version: 't',
    isDraining: () => draining,
  });

describe('createHttpServer', () => {
  it('answers /health 503 while draining', async () => {
    const app = await build(true);
    const response = await app.inject({ url: '/health' });
    expect(response.statusCode).toBe(503);
    await app.close();
  });

  it('answers /ready 200 when the store answers, 503 with the reason when it does not or while draining', async () => {
    let answer: { ready: true } | { ready: false; reason: string } = { ready: true };
    const app = await createHttpServer({
      log: createLogger({ level: 'silent' }),
      metrics: createMetrics({ collectProcess: false }),
      version: 't',
      readiness: async () => answer,
    });
    expect((await app.inject({ url: '/ready' })).json()).toEqual({ status: 'ready' });
    answer = { ready: false, reason: 'the store does not answer' };
    const refused = await app.inject({ url: '/ready' });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({ status: 'not-ready', reason: 'the store does not answer' });
    // /health stays 200: the process lives, it just should not get traffic.
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    await app.close();
    const draining = await build(true);
    expect((await draining.inject({ url: '/ready' })).statusCode).toBe(503);
    await draining.close();
  });

  it('lets pages reach the storage agents it is told of, and nothing else; API answers keep their own CSP', async () => {
    const app = await build();
    app.get('/page', async (_request, reply) => reply.type('text/html').send('<p>hi</p>'));
    app.get('/api/v1/thing', { schema: { response: { 200: Type.Object({}) } } }, async () => ({}));
    const csp = async (url: string) => String((await app.inject({ url })).headers['content-security-policy']);
    const before = await csp('/page');
    expect(before).toContain("connect-src 'self';");
    expect(before).not.toMatch(/https?:/);
    // Only http(s) origins, deduplicated, whatever path or case they came with; no wildcard, no other scheme.
    app.pageOrigins.set([
      'http://NAS.lan:8090/dav/photos/',
      'http://nas.lan:8090',
      'https://[::1]:8443/x',
      'javascript:alert(1)',
      'not a url',
      '*',
    ]);
    expect(app.pageOrigins.current).toEqual(['http://nas.lan:8090', 'https://[::1]:8443']);
    const after = await csp('/page');
    for (const directive of ['connect-src', 'img-src', 'media-src'])
      expect(after).toMatch(
        new RegExp(`${directive} 'self'[^;]* http://nas\\.lan:8090 https://\\[::1\\]:8443(;|$)`),
      );
    expect(after).toContain("script-src 'self';");
    expect(await csp('/api/v1/thing')).toBe("default-src 'none'; frame-ancestors 'none'");
    app.pageOrigins.set([]);
    expect(await csp('/page')).toBe(before);
    await app.close();
  });

  it('refuses an API route without a response schema at registration', async () => {
    const app = await build();
    expect(() => app.get('/api/v1/unschema', async () => ({}))).toThrow(/has no response schema/);
    await app.close();
  });

  it('maps domain error kinds to statuses with the { error: { code, message } } body', async () => {
    const app = await build();
    const schema = { response: { 200: Type.Object({}) } };
    class DemoError extends HomeportError<'thing_missing' | 'thing_busy'> {}
    app.get('/api/v1/missing', { schema }, async () => {
      throw new DemoError('thing_missing', 'not_found', 'No such thing', { details: { thingId: 't1' } });
    });
    app.get('/api/v1/busy', { schema }, async () => {
      throw new DemoError('thing_busy', 'unavailable', 'Busy', { retryAfterSeconds: 7 });
    });
    app.get('/api/v1/bug', { schema }, async () => {
      throw new Error('secret internal detail');
    });
    app.get('/api/v1/core', { schema }, async () => {
      throw new CoreError('forbidden', 'No');
    });
    const missing = await app.inject({ url: '/api/v1/missing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'thing_missing', message: 'No such thing', thingId: 't1' },
    });
    const busy = await app.inject({ url: '/api/v1/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('7');
    const bug = await app.inject({ url: '/api/v1/bug' });
    expect(bug.statusCode).toBe(500);
    expect(bug.json().error.code).toBe('internal_error');
    expect(bug.body).not.toContain('secret internal detail');
    expect((await app.inject({ url: '/api/v1/core' })).statusCode).toBe(403);
    await app.close();
  });

  it('counts each request under its route, method and status, however often they repeat', async () => {
    const app = await build();
    const schema = { response: { 200: Type.Object({}) } };
    let fail = false;
    app.get('/api/v1/things/:id', { schema }, async () => {
      if (fail) throw new CoreError('forbidden', 'No');
      return {};
    });
    for (const id of ['a', 'b', 'c']) await app.inject({ url: `/api/v1/things/${id}` });
    fail = true;
    await app.inject({ url: '/api/v1/things/d' });
    await app.inject({ method: 'HEAD', url: '/api/v1/things/e' });
    await app.inject({ url: '/nowhere' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const count = (labels: string) =>
      Number(
        new RegExp(`^homeport_http_request_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(
          metrics,
        )?.[1],
      );
    expect(count('method="GET",route="/api/v1/things/:id",status="200"')).toBe(3);
    expect(count('method="GET",route="/api/v1/things/:id",status="403"')).toBe(1);
    expect(count('method="HEAD",route="/api/v1/things/:id",status="403"')).toBe(1);
    expect(count('method="GET",route="unmatched",status="404"')).toBe(1);
    await app.close();
  });

  it('stamps /health with the current whole second as the clock moves', async () => {
    let now = Date.UTC(2026, 11, 1, 17, 23, 37, 120);
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;
    registerOperationalRoutes(app, {
      version: 't',
      metrics: createMetrics({ collectProcess: false }),
      clock: () => now,
    });
    const stamp = async () => (await app.inject({ url: '/health' })).json().timestamp;
    expect(await stamp()).toBe('2026-12-01T17:23:37Z');
    now += 500;
    expect(await stamp()).toBe('2026-12-01T17:23:37Z');
    now += 400;
    expect(await stamp()).toBe('2026-12-01T17:23:38Z');
    now += 86_400_000;
    expect(await stamp()).toBe('2026-12-02T17:23:38Z');
    await app.close();
  });

  it('answers 415 to a non-JSON body on a JSON route', async () => {
    const app = await build();
    app.post(
      '/api/v1/echo',
      {
        schema: {
          body: Type.Object({ a: Type.String() }),
          response: { 200: Type.Object({ a: Type.String() }) },
        },
      },
      async (request) => request.body,
    );
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'a=1',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_media_type');
    await app.close();
  });
});
