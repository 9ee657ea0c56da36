// Export and import of the deploy configuration as YAML: a round trip gives the same document, secret
// values leave only when asked for, an import without them keeps the stored ones, and a document that is
// not valid YAML or does not fit the schema is refused with the place that is wrong. No Docker needed: the
// module runs against an engine address that answers nothing (deploys would fail, configuration works).

import { request } from 'node:http';
import { bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeployModule } from '../src/index.js';

const homeports: TestHomeport[] = [];
afterEach(async () => {
  while (homeports.length > 0) await homeports.pop()?.close();
});

async function homeport() {
  const t = await buildTestHomeport({
    modules: [createDeployModule()],
    env: { HOMEPORT_DOCKER_HOST: 'tcp://127.0.0.1:9', HOMEPORT_PROXY_PORT: '0', HOMEPORT_PORT: '0' },
  });
  homeports.push(t);
  await t.homeport.listen();
  const admin = await t.login();
  const call = async (method: string, url: string, payload?: unknown, contentType = 'application/json') => {
    const response = await t.app.inject({
      method: method as 'GET',
      url: `/api/v1/deploy${url}`,
      headers: { ...bearer(admin), ...(payload === undefined ? {} : { 'content-type': contentType }) },
      ...(payload === undefined
        ? {}
        : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  return { t, call };
}

/** GET / through the proxy with a Host header (fetch may not set Host). */
function viaProxy(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SECRET = 'db-password-5c1f0e9a77';
const REGISTRY_PASSWORD = 'registry-pass-31b8e2';

async function seed(call: Awaited<ReturnType<typeof homeport>>['call']) {
  expect(
    (
      await call('POST', '/projects', {
        name: 'shop',
        description: 'the shop',
        registryAuth: { username: 'ci', password: REGISTRY_PASSWORD },
        pollIntervalMs: 60_000,
      })
    ).status,
  ).toBe(201);
  const stage = await call('POST', '/projects/shop/stages', {
    name: 'staging',
    config: {
      image: '127.0.0.1:5000/shop/web',
      host: 'staging.shop.test',
      tagPattern: { kind: 'semver', value: '^1.2' },
      env: [
        { name: 'DATABASE_PASSWORD', value: SECRET, secret: true },
        { name: 'MODE', value: 'staging' },
      ],
      volumes: [{ source: '/srv/shop', target: '/data', readOnly: true }],
      health: { path: '/healthz', expectedStatus: 204 },
    },
  });
  expect(stage.status, stage.body).toBe(201);
  const production = await call('POST', '/projects/shop/stages', {
    name: 'production',
    config: {
      image: '127.0.0.1:5000/shop/web',
      host: 'shop.test',
      promoteFrom: 'staging',
      strategy: 'recreate',
    },
  });
  expect(production.status, production.body).toBe(201);
}

describe('deploy configuration export and import', () => {
  it('round-trips exactly with secrets into a fresh Homeport', async () => {
    const a = await homeport();
    await seed(a.call);
    const exported = await a.call('GET', '/config.yaml?secrets=true');
    expect(exported.status).toBe(200);
    expect(exported.body).toContain(SECRET);
    expect(exported.body).toContain(REGISTRY_PASSWORD);

    const b = await homeport();
    const imported = await b.call('POST', '/config', exported.body, 'application/yaml');
    expect(imported.status, imported.body).toBe(200);
    expect(imported.json().stages.map((s: { action: string }) => s.action)).toEqual(['created', 'created']);
    const again = await b.call('GET', '/config.yaml?secrets=true');
    expect(again.body).toBe(exported.body);
  });

  it('leaves secret values out unless asked, and an import without them keeps the stored ones', async () => {
    const a = await homeport();
    await seed(a.call);
    const plain = await a.call('GET', '/config.yaml');
    expect(plain.body).not.toContain(SECRET);
    expect(plain.body).not.toContain(REGISTRY_PASSWORD);
    expect(plain.body).toContain('DATABASE_PASSWORD');

    const reimported = await a.call('POST', '/config', plain.body, 'text/yaml');
    expect(reimported.status, reimported.body).toBe(200);
    expect(reimported.json()).toEqual({
      projects: [{ name: 'shop', action: 'unchanged' }],
      stages: [
        { project: 'shop', name: 'production', action: 'unchanged', warnings: expect.any(Array) },
        { project: 'shop', name: 'staging', action: 'unchanged', warnings: expect.any(Array) },
      ],
    });
    expect((await a.call('GET', '/config.yaml?secrets=true')).body).toContain(SECRET);

    // A fresh Homeport has no stored value to keep: the import names the variable.
    const b = await homeport();
    const refused = await b.call('POST', '/config', plain.body, 'text/yaml');
    expect(refused.status).toBe(400);
    expect(refused.json().error.message).toMatch(
      /nothing was imported: .*registryAuth password.*env DATABASE_PASSWORD needs a value/,
    );
    expect((await b.call('GET', '/projects')).json()).toEqual([]);
  });

  it('refuses what is not YAML, does not fit the schema, or expands aliases without bound', async () => {
    const { call } = await homeport();
    const broken = await call('POST', '/config', 'version: 1\nprojects: [\n', 'text/yaml');
    expect(broken.status).toBe(400);
    expect(broken.json().error.message).toMatch(/not valid YAML/);
    const wrong = await call('POST', '/config', 'version: 1\nprojects:\n  - name: "Bad Name"\n', 'text/yaml');
    expect(wrong.status).toBe(400);
    expect(wrong.json().error.message).toMatch(/\/projects\/0\/name/);
    const injected = await call(
      'POST',
      '/config',
      'version: 1\nprojects:\n  - name: ok\n    stages:\n      - name: web\n        config:\n          image: "127.0.0.1:5000/a;rm -rf /"\n',
      'text/yaml',
    );
    expect(injected.status).toBe(400);
    const bomb = ['version: 1', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(',')}]`,
      );
    const expanded = await call('POST', '/config', `${bomb.join('\n')}\nprojects: []\n`, 'text/yaml');
    expect(expanded.status).toBe(400);
  });

  it('puts a stage’s host in maintenance (503 with the escaped message through the proxy) and lifts it', async () => {
    const { t, call } = await homeport();
    await seed(call);
    const proxyPort = (await t.app.inject({ url: '/health' })).json().deploy.proxyPort as number;
    const on = await call('PUT', '/projects/shop/stages/production/maintenance', {
      message: 'Back at <b>noon</b>',
    });
    expect(on.status, on.body).toBe(200);
    const page = await viaProxy(proxyPort, 'shop.test');
    expect(page.status).toBe(503);
    expect(page.body).toContain('Back at &lt;b&gt;noon&lt;/b&gt;');
    expect(
      (await call('PUT', '/projects/shop/stages/production/maintenance', { message: null })).status,
    ).toBe(200);
    // Lifted: the host has no live release yet, so the proxy has no route for it.
    expect((await viaProxy(proxyPort, 'shop.test')).status).toBe(404);
    const noHost = await call('POST', '/projects/shop/stages', {
      name: 'worker',
      config: { image: '127.0.0.1:5000/shop/worker' },
    });
    expect(noHost.status).toBe(201);
    expect((await call('PUT', '/projects/shop/stages/worker/maintenance', { message: 'x' })).status).toBe(
      422,
    );
  });

  it('answers 401 to an export or import without a session', async () => {
    const { t } = await homeport();
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/deploy/config.yaml?secrets=true' })).statusCode,
    ).toBe(401);
    const post = await t.app.inject({
      method: 'POST',
      url: '/api/v1/deploy/config',
      headers: { 'content-type': 'text/yaml' },
      payload: 'version: 1\nprojects: []\n',
    });
    expect(post.statusCode).toBe(401);
  });
});
