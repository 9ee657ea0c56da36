// Throttles across replicas (HOMEPORT_STORE=kv) on one real nats-server with two replicas in this process:
// failed logins for one username or from one address split across A and B trip the backoff as one; requests
// from one address split across A and B meet the per-IP limit at the cluster's budget, refused on both
// within a second; with NATS gone a login is refused (503), never admitted unthrottled, and the request
// limit still holds on each replica.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, bearer, buildApp, newDataDir, type TestApp } from './support/app.js';
import { until } from './support/until.js';

/** The cluster's per-address budget in these tests. */
const BUDGET = 30;
const WINDOW_MS = 86_400_000;

let server: NatsServerInstance;
const replicas: TestApp[] = [];

const env = () => ({
  HOMEPORT_STORE: 'kv',
  HOMEPORT_NATS_URL: server.url,
  HOMEPORT_SECRET_KEY: 'the-cluster-secret-key-0123456789abcdef',
  HOMEPORT_RATE_LIMIT_MAX: String(BUDGET),
  // A day, aligned on the epoch like every window of the shared limit: no test straddles a boundary
  // unless it runs in the last minute of a UTC day (then it waits for the next one, see below).
  HOMEPORT_RATE_LIMIT_WINDOW: '1d',
});

beforeAll(async () => {
  server = await startNatsServer();
  replicas.push(await buildApp({ env: env(), dataDir: newDataDir() }));
  replicas.push(await buildApp({ env: env(), dataDir: newDataDir() }));
});

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await server?.stop();
});

const [a, b] = [() => replicas[0] as TestApp, () => replicas[1] as TestApp];

const login = (replica: TestApp, username: string, password: string, ip: string) =>
  replica.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    remoteAddress: ip,
  });

const request = (replica: TestApp, ip: string) =>
  replica.app.inject({ url: '/api/v1/auth/config', remoteAddress: ip });

describe('login throttle across replicas', () => {
  it('counts failures for one username on A and B as one: the backoff trips, even for the right password', async () => {
    const admin = await a().login('admin', ADMIN_PASSWORD);
    const created = await a().app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'lena', password: 'lena-password' },
    });
    expect(created.statusCode).toBe(201);
    // Six failures (one past the allowance of 5), alternating replicas and addresses: 3 on each replica,
    // which alone would never have tripped.
    for (let i = 0; i < 6; i += 1) {
      const replica = i % 2 === 0 ? a() : b();
      expect((await login(replica, 'lena', `wrong-${i}-password`, `10.1.0.${i}`)).statusCode).toBe(401);
    }
    for (const replica of [a(), b()]) {
      const blocked = await login(replica, 'LENA', 'lena-password', '10.1.1.1');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.code).toBe('too_many_attempts');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Once the backoff (1 s) ends, the right password signs in on either replica and forgives the failures.
    // Each probe from its own address, so the probes do not spend one address's request budget.
    let probe = 0;
    await until('the backoff to end', async () => {
      probe += 1;
      const response = await login(b(), 'lena', 'lena-password', `10.1.2.${probe}`);
      return response.statusCode === 200 ? true : undefined;
    });
    expect((await login(a(), 'lena', 'wrong-again-password', '10.1.1.3')).statusCode).toBe(401);
    expect((await login(a(), 'lena', 'lena-password', '10.1.1.4')).statusCode).toBe(200);
  });

  it('counts failures from one address spraying usernames over A and B as one', async () => {
    // The per-IP allowance is 20: 21 failures, 10 or 11 on each replica, then the address is refused on both.
    for (let i = 0; i < 21; i += 1) {
      const replica = i % 2 === 0 ? a() : b();
      expect((await login(replica, `nobody${i}`, 'guess-password', '10.2.0.1')).statusCode).toBe(401);
    }
    expect((await login(a(), 'nobody-a', 'guess-password', '10.2.0.1')).statusCode).toBe(429);
    expect((await login(b(), 'nobody-b', 'guess-password', '10.2.0.1')).statusCode).toBe(429);
    // Another address is not held back.
    expect((await login(b(), 'admin', ADMIN_PASSWORD, '10.2.0.2')).statusCode).toBe(200);
  });
});

describe('per-IP request limit across replicas', () => {
  it('refuses an address at the cluster budget on both replicas within a second, with Retry-After', async () => {
    // Counts belong to a window aligned on the epoch; a test in a window's last minute waits for the next.
    await until(
      'a fresh rate-limit window',
      async () => (WINDOW_MS - (Date.now() % WINDOW_MS) > 60_000 ? true : undefined),
      70_000,
    );
    const ip = '10.3.0.1';
    // The budget, split evenly: each replica alone is at half of it, and the cluster exactly at it.
    for (let i = 0; i < BUDGET; i += 1) {
      expect((await request(i % 2 === 0 ? a() : b(), ip)).statusCode).toBe(200);
    }
    let admitted = 0;
    const refusedOnBoth = await until(
      'both replicas to refuse the address',
      async () => {
        const [onA, onB] = await Promise.all([request(a(), ip), request(b(), ip)]);
        admitted += [onA, onB].filter((response) => response.statusCode === 200).length;
        return onA.statusCode === 429 && onB.statusCode === 429 ? { onA, onB } : undefined;
      },
      3000,
    );
    console.info(
      `per-IP limit across replicas: refused on both ${refusedOnBoth.ms} ms after the budget was spent, ${admitted} requests admitted past it`,
    );
    expect(refusedOnBoth.ms).toBeLessThanOrEqual(1000);
    for (const refused of [refusedOnBoth.value.onA, refusedOnBoth.value.onB]) {
      expect(refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Past the budget, only what came in the delay got through: never more than a budget per replica.
    expect(admitted).toBeLessThanOrEqual(BUDGET);
    // Another address keeps its own budget on both; /health is never limited.
    expect((await request(a(), '10.3.0.2')).statusCode).toBe(200);
    expect((await request(b(), '10.3.0.2')).statusCode).toBe(200);
    expect((await b().app.inject({ url: '/health', remoteAddress: ip })).statusCode).toBe(200);
  }, 90_000); // up to a minute waiting for a fresh window, the rest well under
});

describe('with NATS gone', () => {
  it('refuses logins (503, none admitted) and still holds the request limit on each replica', async () => {
    await server.stop();
    const attempt = await login(a(), 'admin', ADMIN_PASSWORD, '10.4.0.1');
    expect(attempt.statusCode).toBe(503);
    expect(attempt.json().error.code).toBe('store_unavailable');
    // No password was checked: the throttle could not be read, so the attempt never reached hashing.
    expect(a().logs.some((line) => line.includes('"ip":"10.4.0.1"') && line.includes('login failed'))).toBe(
      false,
    );
    // A route that answers without the store (no credentials: 401), so each request is quick.
    const ip = '10.4.0.2';
    const statuses: number[] = [];
    for (let i = 0; i <= BUDGET; i += 1)
      statuses.push((await b().app.inject({ url: '/api/v1/auth/me', remoteAddress: ip })).statusCode);
    expect(statuses.slice(0, BUDGET)).not.toContain(429);
    expect(statuses[BUDGET]).toBe(429);
    await until('the limiter to say it counts alone', async () =>
      b().logs.some((line) => line.includes('counting on this replica only')) ? true : undefined,
    );
    await server.restart();
    await until(
      'A ready again',
      async () => ((await a().app.inject({ url: '/ready' })).statusCode === 200 ? true : undefined),
      20_000,
    );
    expect((await login(a(), 'admin', ADMIN_PASSWORD, '10.4.0.3')).statusCode).toBe(200);
  });
});
