// Login throttling, legacy bcrypt hashes, the first admin's password, the static client token, log redaction.

import { createAccounts } from '@homeport/accounts';
import {
  Config,
  createEventHub,
  createHttpServer,
  createLogger,
  createMetrics,
  type HttpApp,
  Type,
} from '@homeport/core';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, bearer, buildApp, newDataDir, type TestApp } from './support/app.js';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

const attempt = (t: TestApp, username: string, password: string, ip = '10.0.0.1') =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    remoteAddress: ip,
  });

describe('login throttling', () => {
  it('answers 429 with Retry-After after 5 failures for a username, even with the right password', async () => {
    t = await buildApp();
    for (let i = 0; i < 5; i += 1)
      expect((await attempt(t, 'admin', `wrong-${i}-password`)).statusCode).toBe(401);
    const sixth = await attempt(t, 'admin', 'wrong-6-password');
    expect(sixth.statusCode).toBe(401);
    const blocked = await attempt(t, 'admin', ADMIN_PASSWORD, '10.0.0.2');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('too_many_attempts');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('blocks an IP that sprays many usernames, while another IP still logs in', async () => {
    t = await buildApp();
    let refused = 0;
    for (let i = 0; i < 30; i += 1) {
      const response = await attempt(t, `user${i}`, 'guess-password', '10.9.9.9');
      if (response.statusCode === 429) refused += 1;
    }
    expect(refused).toBeGreaterThan(5);
    expect((await attempt(t, 'admin', ADMIN_PASSWORD, '10.1.1.1')).statusCode).toBe(200);
  });

  it('a concurrent brute force gets nowhere and other requests keep being answered', async () => {
    t = await buildApp();
    const flood = Array.from({ length: 200 }, (_, i) =>
      attempt(t, 'admin', `guess-${i}-password`, '10.7.7.7'),
    );
    const health = await t.app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    const results = await Promise.all(flood);
    expect(results.some((response) => response.statusCode === 200)).toBe(false);
    expect(results.filter((response) => response.statusCode === 429).length).toBeGreaterThan(150);
  });
});

describe('password hashes', () => {
  it('verifies a betterNAS bcrypt hash and upgrades it to argon2id at login', async () => {
    t = await buildApp();
    // Go's x/crypto/bcrypt (betterNAS) writes $2a$ hashes at cost 10.
    const legacy = await bcryptHash('legacy-password', { cost: 10, version: '2a' });
    expect(legacy).toMatch(/^\$2a\$10\$/);
    t.homeport
      .sqlite()
      .prepare(
        "INSERT INTO users (id, username, username_key, password_hash, role, status, created_at, updated_at) VALUES ('usr_legacy', 'old', 'old', ?, 'member', 'active', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
      )
      .run(legacy);
    await expect(t.login('old', 'legacy-password')).resolves.toBeTruthy();
    const stored = t.homeport
      .sqlite()
      .prepare("SELECT password_hash FROM users WHERE id = 'usr_legacy'")
      .pluck()
      .get() as string;
    expect(stored).toMatch(/^\$argon2id\$/);
    await expect(t.login('old', 'legacy-password')).resolves.toBeTruthy();
  });
});

describe('first admin', () => {
  it('generates a strong password, announces it once on stderr and never logs it', async () => {
    t = await buildApp({ env: { HOMEPORT_ADMIN_PASSWORD: '' } });
    expect(t.announced).toHaveLength(1);
    const password = /password: (\S+)/.exec(t.announced[0]!)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await expect(t.login('admin', password)).resolves.toBeTruthy();
    expect(t.logs.join('\n')).not.toContain(password);
    // A restart does not create another admin nor print again.
    await t.close();
    t = await buildApp({ dataDir: t.dataDir, env: { HOMEPORT_ADMIN_PASSWORD: '' } });
    expect(t.announced).toHaveLength(0);
  });

  it('never writes passwords or tokens into the log', async () => {
    t = await buildApp({ env: { HOMEPORT_ACCESS_LOG: 'true' } });
    const token = await t.login();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'a-wrong-password' },
    });
    await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
    await t.app.inject({ url: '/api/v1/auth/config?code=one-time-code-4711&state=st-0815' });
    const text = t.logs.join('\n');
    expect(text).toContain('"msg":"login"');
    expect(text).not.toContain(token);
    expect(text).not.toContain(ADMIN_PASSWORD);
    expect(text).not.toContain('a-wrong-password');
    expect(text).toContain('"url":"/api/v1/auth/config"');
    expect(text).not.toContain('one-time-code-4711');
  });
});

describe('static client token and guards', () => {
  async function guardedApp(clientToken: string | undefined) {
    const dataDir = newDataDir();
    const db = (await import('@homeport/core')).openDatabase(`${dataDir}/db.sqlite`);
    const { accountsMigrations, accountsStoreOf } = await import('@homeport/accounts');
    (await import('@homeport/core')).applyMigrations(db, 'accounts', accountsMigrations);
    const log = createLogger({ level: 'silent' });
    const config = new Config({ env: clientToken ? { HOMEPORT_CLIENT_TOKEN: clientToken } : {} });
    const store = await accountsStoreOf({ kind: 'sqlite', db });
    const accounts = createAccounts({ config, store, events: createEventHub(), log, dataDir });
    const app = await createHttpServer({
      log,
      metrics: createMetrics({ collectProcess: false }),
      version: 'test',
    });
    // accounts' routes need no context beyond what createAccounts got
    const { routes } = accounts.module;
    await app.register(async (scope: HttpApp) => routes?.(scope, undefined as never), { prefix: '/api/v1' });
    const ok = { response: { 200: Type.Object({ kind: Type.String() }) } };
    app.get(
      '/api/v1/test/client',
      { preHandler: accounts.guards.requireClient, schema: ok },
      async (request) => ({ kind: request.principal!.kind }),
    );
    app.get(
      '/api/v1/test/admin',
      { preHandler: accounts.guards.requireAdmin, schema: ok },
      async (request) => ({ kind: request.principal!.kind }),
    );
    await app.ready();
    return { app, accounts, db };
  }

  it('accepts the static client token on client routes only, compared in full', async () => {
    const token = 'static-client-token-0123456789';
    const { app, db } = await guardedApp(token);
    const ok = await app.inject({ url: '/api/v1/test/client', headers: bearer(token) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ kind: 'client' });
    expect((await app.inject({ url: '/api/v1/test/client', headers: bearer(`${token}x`) })).statusCode).toBe(
      401,
    );
    expect(
      (await app.inject({ url: '/api/v1/test/client', headers: bearer(token.slice(0, -1)) })).statusCode,
    ).toBe(401);
    expect((await app.inject({ url: '/api/v1/test/admin', headers: bearer(token) })).statusCode).toBe(401);
    expect(
      (await app.inject({ url: '/api/v1/test/client', headers: { authorization: `Basic ${token}` } }))
        .statusCode,
    ).toBe(401);
    await app.close();
    db.close();
  });

  it('accepts the betterNAS name BETTERNAS_CONTROL_PLANE_CLIENT_TOKEN', async () => {
    const config = new Config({ env: { BETTERNAS_CONTROL_PLANE_CLIENT_TOKEN: 'from-betternas-0123456789' } });
    const { accountsSettings } = await import('@homeport/accounts');
    expect(config.read(accountsSettings).clientToken).toBe('from-betternas-0123456789');
  });

  it('without a configured client token, no bearer value passes as one', async () => {
    const { app, db } = await guardedApp(undefined);
    expect(
      (await app.inject({ url: '/api/v1/test/client', headers: bearer('anything-at-all') })).statusCode,
    ).toBe(401);
    await app.close();
    db.close();
  });
});
