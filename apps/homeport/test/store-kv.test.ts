// Homeport on the KV store (HOMEPORT_STORE=kv) against a real nats-server: two replicas in this process
// share it — a session made on A works on B, a user disabled on B is refused on A within a second, the
// NAS inventory one replica writes the other serves — generated secrets agree, /ready follows the store,
// and with NATS gone every protected request is refused (none admitted).

import { NAS } from '@homeport/nas';
import { exportInput, registration } from '@homeport/nas/testing';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, bearer, buildApp, newDataDir, type TestApp } from './support/app.js';
import { until } from './support/until.js';

let server: NatsServerInstance;
const replicas: TestApp[] = [];

const env = () => ({
  HOMEPORT_STORE: 'kv',
  HOMEPORT_NATS_URL: server.url,
  HOMEPORT_SECRET_KEY: 'the-cluster-secret-key-0123456789abcdef',
  HOMEPORT_CLIENT_TOKEN: 'kv-client-token-0123456789',
});

beforeAll(async () => {
  server = await startNatsServer();
  // Each replica has its own data dir: nothing is shared through files.
  replicas.push(await buildApp({ env: env(), dataDir: newDataDir() }));
  replicas.push(await buildApp({ env: env(), dataDir: newDataDir() }));
});

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await server?.stop();
});

const [a, b] = [() => replicas[0] as TestApp, () => replicas[1] as TestApp];

describe('two replicas on one KV store', () => {
  it('runs on KV, and is ready while the store answers', async () => {
    expect(a().homeport.store).toBe('kv');
    expect((await a().app.inject({ url: '/ready' })).json()).toEqual({ status: 'ready' });
  });

  it('shares sessions: made on A, accepted on B; a user disabled on B is refused on A within a second', async () => {
    const admin = await a().login('admin', ADMIN_PASSWORD);
    expect((await b().app.inject({ url: '/api/v1/auth/me', headers: bearer(admin) })).statusCode).toBe(200);
    const created = await a().app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'mia', password: 'member-password' },
    });
    expect(created.statusCode).toBe(201);
    const mia = await a().login('mia', 'member-password');
    expect((await a().app.inject({ url: '/api/v1/auth/me', headers: bearer(mia) })).statusCode).toBe(200);
    const disabled = await b().app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${created.json().id}`,
      headers: bearer(admin),
      payload: { status: 'disabled' },
    });
    expect(disabled.statusCode).toBe(200);
    const refused = await until('A to refuse the disabled member', async () => {
      const me = await a().app.inject({ url: '/api/v1/auth/me', headers: bearer(mia) });
      return me.statusCode === 401 ? true : undefined;
    });
    // Told over the events stream, not waited out: well under the one-second cache.
    expect(refused.ms).toBeLessThan(500);
  });

  it('agrees on generated secrets: a node registered on A with the bootstrap token is served by B', async () => {
    const admin = await b().login('admin', ADMIN_PASSWORD);
    const token = a().homeport.requireModule(NAS).bootstrapToken;
    expect(b().homeport.requireModule(NAS).bootstrapToken).toBe(token);
    const registered = await a().app.inject({
      method: 'POST',
      url: '/api/v1/nodes/register',
      headers: { ...bearer(token), 'x-homeport-agent': '2' },
      payload: registration('kv-machine'),
    });
    expect(registered.statusCode).toBe(200);
    const nodeToken = registered.headers['x-betternas-node-token'] as string;
    const synced = await b().app.inject({
      method: 'PUT',
      url: `/api/v1/nodes/${registered.json().id}/exports`,
      headers: bearer(nodeToken),
      payload: { exports: [exportInput('/srv/kv', 'KV')] },
    });
    expect(synced.statusCode).toBe(200);
    const listed = await a().app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
    expect(listed.json()).toEqual([expect.objectContaining({ label: 'KV', path: '/srv/kv' })]);
    const profile = await a().app.inject({
      method: 'POST',
      url: '/api/v1/mount-profiles/issue',
      headers: bearer(admin),
      payload: { exportId: synced.json()[0].id },
    });
    expect(profile.statusCode).toBe(200);
  });

  it('with NATS gone: not ready, and every protected request is refused, none admitted; back when it returns', async () => {
    const admin = await a().login('admin', ADMIN_PASSWORD);
    await server.stop();
    await until('A not ready', async () =>
      (await a().app.inject({ url: '/ready' })).statusCode === 503 ? true : undefined,
    );
    for (const url of ['/api/v1/auth/me', '/api/v1/exports', '/api/v1/users']) {
      const response = await a().app.inject({ url, headers: bearer(admin) });
      expect(response.statusCode, url).toBeGreaterThanOrEqual(500);
    }
    await server.restart();
    await until(
      'A ready again',
      async () => ((await a().app.inject({ url: '/ready' })).statusCode === 200 ? true : undefined),
      20_000,
    );
    expect((await a().app.inject({ url: '/api/v1/auth/me', headers: bearer(admin) })).statusCode).toBe(200);
  });
});
