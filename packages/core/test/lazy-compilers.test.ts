// Route schemas compiled on first use: nothing is compiled while the app gets ready, each route's validator and
// serializer once on its first request, and what Fastify reads from them (Ajv's errors, the serialised shape)
// is as with eager compilation.

import { describe, expect, it } from 'vitest';
import { lazySerializers, lazyValidators } from '../src/http/lazy-compilers.js';
import { createHttpServer, createLogger, createMetrics, Type } from '../src/index.js';

type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

describe('lazy route compilers', () => {
  it('compiles a validator on its first call only, passes the context through and copies errors', () => {
    const compiled: string[] = [];
    const contexts: unknown[] = [];
    let scopes = 0;
    // A validator factory of Fastify's shape: (externalSchemas, options) => (route) => validate.
    const factory = () => {
      scopes += 1;
      return (route: { url: string }) => {
        compiled.push(route.url);
        const validate: Validate = (data, context) => {
          contexts.push(context);
          validate.errors = data === 'bad' ? [{ message: 'must be good' }] : null;
          return data !== 'bad';
        };
        return validate;
      };
    };
    const build = lazyValidators(factory as never) as unknown as (
      external: unknown,
      options: unknown,
    ) => (route: { url: string }) => Validate;
    const validate = build({}, {})({ url: '/a' });
    // Neither the scope's compiler (Ajv's set-up) nor the route's validator is made before the first call.
    expect(scopes).toBe(0);
    expect(compiled).toEqual([]);
    expect(validate.schemaEnv).toBeTruthy();
    expect(validate('good', { parentData: 'request' })).toBe(true);
    expect(validate.errors).toBeNull();
    expect(validate('bad')).toBe(false);
    expect(validate.errors).toEqual([{ message: 'must be good' }]);
    expect(compiled).toEqual(['/a']);
    expect(scopes).toBe(1);
    expect(contexts[0]).toEqual({ parentData: 'request' });
  });

  it('serialises with the route schema on first use, as the eager serializer does', () => {
    const build = lazySerializers() as unknown as (
      external: unknown,
      options: unknown,
    ) => (route: {
      schema: unknown;
      method: string;
      url: string;
      httpStatus: string;
    }) => (data: unknown) => string;
    const serialize = build(
      {},
      {},
    )({
      schema: { type: 'object', properties: { id: { type: 'string' } } },
      method: 'GET',
      url: '/x',
      httpStatus: '200',
    });
    // Fields outside the schema are dropped: the route's own serializer ran, not JSON.stringify.
    expect(serialize({ id: 'a', secret: 's' })).toBe('{"id":"a"}');
  });

  it('validates bodies and shapes responses through the real server', async () => {
    const app = await createHttpServer({
      log: createLogger({ level: 'silent' }),
      metrics: createMetrics({ collectProcess: false }),
      version: 't',
    });
    app.post(
      '/api/v1/echo',
      {
        schema: {
          body: Type.Object({ name: Type.String({ minLength: 2 }) }),
          response: { 200: Type.Object({ name: Type.String() }) },
        },
      },
      async (request) => ({ ...(request.body as { name: string }), hidden: 'not serialised' }),
    );
    await app.ready();
    const refused = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { name: 'x' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('name');
    const ok = await app.inject({ method: 'POST', url: '/api/v1/echo', payload: { name: 'ok' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ name: 'ok' });
    await app.close();
  });
});
