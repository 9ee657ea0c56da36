// The login and registration throttles shared by replicas, on a real nats-server: two replicas (each its own
// connection) count one username's and one address's failures as one, a success on either forgives the
// username, a quiet spell forgets, the in-flight cap is each replica's own, registrations share one window,
// and a store that does not answer refuses the attempt instead of admitting it.

import { createJetStreamKv, createLogger, type KvStore, StoreError } from '@homeport/core';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedLoginThrottle, createSharedRegistrationThrottle } from '../src/shared-throttle.js';
import type { LoginAttempt, LoginLimiter, ThrottleRefusal } from '../src/throttle.js';

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
const log = createLogger({ level: 'silent' });
let modules = 0;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await server?.stop();
});

/** Two replicas' views of one module's store, each over its own connection. */
async function twoReplicas(url = server.url, timeoutMs?: number): Promise<[KvStore, KvStore]> {
  modules += 1;
  const module = `throttle${modules}`;
  const open = async () => {
    const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    return createJetStreamKv({
      kvm: new Kvm(nc),
      module,
      replicas: 1,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
  };
  return [await open(), await open()];
}

function testClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const loginThrottle = (kv: KvStore, clock: () => number, inFlightPerIp?: number) =>
  createSharedLoginThrottle({
    kv,
    log,
    perUser: 3,
    perIp: 10,
    clock,
    ...(inFlightPerIp === undefined ? {} : { inFlightPerIp }),
  });

const admitted = (result: LoginAttempt | ThrottleRefusal): LoginAttempt => {
  if (!('finish' in result)) throw new Error(`refused: retry in ${result.retryAfterSeconds} s`);
  return result;
};

/** One attempt with its outcome, on a throttle; a refusal when it was not admitted. */
async function tryLogin(throttle: LoginLimiter, ip: string, username: string, success: boolean) {
  const result = await throttle.begin(ip, username);
  if (!('finish' in result)) return result;
  await result.finish(success);
  return undefined;
}

describe('shared login throttle', () => {
  it('counts failures for one username on two replicas as one, and backs off on both', async () => {
    const clock = testClock();
    const [kvA, kvB] = await twoReplicas();
    const a = loginThrottle(kvA, clock.now);
    const b = loginThrottle(kvB, clock.now);
    // Four failures (one past the allowance of 3): two on each replica, from four addresses.
    expect(await tryLogin(a, '10.0.0.1', 'mia', false)).toBeUndefined();
    expect(await tryLogin(b, '10.0.0.2', 'Mia', false)).toBeUndefined();
    expect(await tryLogin(a, '10.0.0.3', 'mia', false)).toBeUndefined();
    expect(await tryLogin(b, '10.0.0.4', 'MIA', false)).toBeUndefined();
    expect(await a.begin('10.0.0.5', 'mia')).toEqual({ retryAfterSeconds: 1 });
    expect(await b.begin('10.0.0.6', 'mia')).toEqual({ retryAfterSeconds: 1 });
    // The backoff doubles with the next failure, wherever it happens.
    clock.advance(1000);
    expect(await tryLogin(b, '10.0.0.7', 'mia', false)).toBeUndefined();
    expect(await a.begin('10.0.0.8', 'mia')).toEqual({ retryAfterSeconds: 2 });
    // Another username is not held back.
    expect(await tryLogin(a, '10.0.0.9', 'noah', true)).toBeUndefined();
  });

  it('counts failures from one address over both replicas as one', async () => {
    const clock = testClock();
    const [kvA, kvB] = await twoReplicas();
    const a = loginThrottle(kvA, clock.now);
    const b = loginThrottle(kvB, clock.now);
    for (let i = 0; i < 11; i += 1)
      expect(await tryLogin(i % 2 === 0 ? a : b, '10.1.0.1', `user${i}`, false)).toBeUndefined();
    expect(await a.begin('10.1.0.1', 'someone')).toEqual({ retryAfterSeconds: 1 });
    expect(await b.begin('10.1.0.1', 'someone')).toEqual({ retryAfterSeconds: 1 });
    admitted(await b.begin('10.1.0.2', 'someone'));
  });

  it('forgives a username after a success on either replica, and forgets failures after a quiet spell', async () => {
    const clock = testClock();
    const [kvA, kvB] = await twoReplicas();
    const a = loginThrottle(kvA, clock.now);
    const b = loginThrottle(kvB, clock.now);
    for (let i = 0; i < 3; i += 1) await tryLogin(a, `10.2.0.${i}`, 'mia', false);
    expect(await tryLogin(b, '10.2.1.1', 'mia', true)).toBeUndefined();
    // Forgiven: three more failures are within the allowance again.
    for (let i = 0; i < 3; i += 1) expect(await tryLogin(a, `10.2.2.${i}`, 'mia', false)).toBeUndefined();
    await admitted(await b.begin('10.2.3.1', 'mia')).finish(false);
    expect(await a.begin('10.2.3.2', 'mia')).toEqual({ retryAfterSeconds: 1 });
    // Past the backoff and fifteen quiet minutes, the failures are forgotten.
    clock.advance(15 * 60_000 + 1);
    for (let i = 0; i < 3; i += 1) expect(await tryLogin(b, `10.2.4.${i}`, 'mia', false)).toBeUndefined();
  });

  it('caps attempts in flight per address on each replica, not across them', async () => {
    const clock = testClock();
    const [kvA, kvB] = await twoReplicas();
    const a = loginThrottle(kvA, clock.now, 2);
    const b = loginThrottle(kvB, clock.now, 2);
    const held = [admitted(await a.begin('10.3.0.1', 'x')), admitted(await a.begin('10.3.0.1', 'y'))];
    expect(await a.begin('10.3.0.1', 'z')).toEqual({ retryAfterSeconds: 1 });
    await admitted(await b.begin('10.3.0.1', 'z')).finish(true);
    await held[0]?.finish(true);
    await admitted(await a.begin('10.3.0.1', 'z')).finish(true);
    await held[1]?.finish(true);
  });

  it('refuses the attempt when the store does not answer, and frees its slot', async () => {
    const own = await startNatsServer();
    try {
      const [kv] = await twoReplicas(own.url, 300);
      const throttle = loginThrottle(kv, Date.now, 1);
      await admitted(await throttle.begin('10.4.0.1', 'mia')).finish(false);
      await own.stop();
      const refused = await Promise.resolve(throttle.begin('10.4.0.1', 'mia')).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe('store_unavailable');
      // The one slot was given back: the next attempt reaches the store again (and fails the same way).
      await expect(throttle.begin('10.4.0.1', 'mia')).rejects.toThrow(StoreError);
    } finally {
      await own.stop();
    }
  });

  it('fails the attempt when its failure cannot be written: it never goes uncounted', async () => {
    const own = await startNatsServer();
    try {
      const [kv] = await twoReplicas(own.url, 300);
      const throttle = loginThrottle(kv, Date.now);
      const attempt = admitted(await throttle.begin('10.5.0.1', 'mia'));
      await own.stop();
      await expect(attempt.finish(false)).rejects.toThrow(StoreError);
    } finally {
      await own.stop();
    }
  });
});

describe('shared registration throttle', () => {
  it('counts every attempt of one address on both replicas in one window', async () => {
    const clock = testClock();
    const [kvA, kvB] = await twoReplicas();
    const options = { perIp: 3, windowMs: 3_600_000, clock: clock.now };
    const a = createSharedRegistrationThrottle({ ...options, kv: kvA });
    const b = createSharedRegistrationThrottle({ ...options, kv: kvB });
    for (const throttle of [a, b, a]) {
      const attempt = await throttle.begin('10.6.0.1');
      if (!('finish' in attempt)) throw new Error('refused within the allowance');
      attempt.finish();
    }
    expect(await b.begin('10.6.0.1')).toEqual({ retryAfterSeconds: 3600 });
    clock.advance(600_000);
    expect(await a.begin('10.6.0.1')).toEqual({ retryAfterSeconds: 3000 });
    expect('finish' in (await b.begin('10.6.0.2'))).toBe(true);
    clock.advance(3_000_000);
    expect('finish' in (await b.begin('10.6.0.1'))).toBe(true);
  });
});
