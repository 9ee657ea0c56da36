// The per-IP request counts shared by replicas, on a real nats-server: replicas (each its own connection)
// see each other's counts after a sync, a new window starts from zero everywhere, a replica that joins later
// is found through the roster, and a store that does not answer leaves each replica counting on its own.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedRequestCounts, type SharedRequestCounts } from '../src/http/shared-rate-limit.js';
import { createJetStreamKv } from '../src/store/kv-jetstream.js';

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
const opened: SharedRequestCounts[] = [];
const log = pino({ level: 'silent' });
const WINDOW_MS = 60_000;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(opened.map((counts) => counts.close()));
  await Promise.all(connections.map((nc) => nc.close()));
  await server?.stop();
});

/** A replica's counts over its own connection; syncs only when the test says (no timer in the way). */
async function replica(module: string, clock: () => number, options: { timeoutMs?: number } = {}) {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  connections.push(nc);
  const kv = createJetStreamKv({ kvm: new Kvm(nc), module, replicas: 1, ...options });
  const lines: string[] = [];
  const counts = createSharedRequestCounts({
    kv,
    windowMs: WINDOW_MS,
    log: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
    clock,
    syncIntervalMs: 3_600_000,
  });
  opened.push(counts);
  return { counts, lines };
}

/** A clock the test moves, starting a second into a window. */
function testClock() {
  let now = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 1000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const times = (n: number, counts: SharedRequestCounts, key: string) => {
  let last = { current: 0, ttl: 0 };
  for (let i = 0; i < n; i += 1) last = counts.increment(key);
  return last;
};

describe('shared request counts', () => {
  it('adds up what every replica counted, once each has synced, and says when the window ends', async () => {
    const clock = testClock();
    const a = await replica('rl1', clock.now);
    const b = await replica('rl1', clock.now);
    expect(times(3, a.counts, '10.0.0.1')).toEqual({ current: 3, ttl: WINDOW_MS - 1000 });
    times(4, b.counts, '10.0.0.1');
    times(2, b.counts, '10.0.0.2');
    await a.counts.sync();
    await b.counts.sync();
    await a.counts.sync();
    expect(a.counts.increment('10.0.0.1').current).toBe(3 + 1 + 4);
    expect(a.counts.increment('10.0.0.2').current).toBe(1 + 2);
    expect(b.counts.increment('10.0.0.1').current).toBe(4 + 1 + 3);
    expect(b.counts.increment('10.0.0.3').current).toBe(1);
  });

  it('starts every replica from zero in a new window, ignoring counts of the one that ended', async () => {
    const clock = testClock();
    const a = await replica('rl2', clock.now);
    const b = await replica('rl2', clock.now);
    times(5, a.counts, '10.0.0.1');
    await a.counts.sync();
    await b.counts.sync();
    expect(b.counts.increment('10.0.0.1').current).toBe(6);
    clock.advance(WINDOW_MS);
    await b.counts.sync(); // a's record is still the last window's
    expect(b.counts.increment('10.0.0.1')).toEqual({ current: 1, ttl: WINDOW_MS - 1000 });
    expect(a.counts.increment('10.0.0.1').current).toBe(1);
  });

  it('finds a replica that joins later through the roster, at its first sync', async () => {
    const clock = testClock();
    const a = await replica('rl3', clock.now);
    await a.counts.sync();
    const late = await replica('rl3', clock.now);
    times(7, late.counts, '10.0.0.9');
    await late.counts.sync();
    await a.counts.sync();
    expect(a.counts.increment('10.0.0.9').current).toBe(8);
  });

  it('shares the largest counts only, past the cap on shared keys', async () => {
    const clock = testClock();
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const capped = createSharedRequestCounts({
      kv: createJetStreamKv({ kvm: new Kvm(nc), module: 'rl4', replicas: 1 }),
      windowMs: WINDOW_MS,
      log,
      clock: clock.now,
      syncIntervalMs: 3_600_000,
      maxSharedKeys: 2,
    });
    opened.push(capped);
    const reader = await replica('rl4', clock.now);
    times(1, capped, 'small');
    times(9, capped, 'large');
    times(5, capped, 'medium');
    await capped.sync();
    await reader.counts.sync();
    expect(reader.counts.increment('large').current).toBe(10);
    expect(reader.counts.increment('medium').current).toBe(6);
    expect(reader.counts.increment('small').current).toBe(1);
  });

  it('keeps counting on each replica while the store does not answer, says so once, and shares again after', async () => {
    const own = await startNatsServer();
    try {
      const clock = testClock();
      const nc = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      connections.push(nc);
      const lines: string[] = [];
      const counts = createSharedRequestCounts({
        kv: createJetStreamKv({ kvm: new Kvm(nc), module: 'rl5', replicas: 1, timeoutMs: 300 }),
        windowMs: WINDOW_MS,
        log: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
        clock: clock.now,
        syncIntervalMs: 3_600_000,
      });
      opened.push(counts);
      await counts.sync();
      await own.stop();
      times(3, counts, '10.0.0.1');
      await counts.sync();
      await counts.sync();
      expect(counts.increment('10.0.0.1').current).toBe(4);
      expect(lines.filter((line) => line.includes('counting on this replica only'))).toHaveLength(1);
      await own.restart();
      const deadline = Date.now() + 15_000;
      while (!lines.some((line) => line.includes('answers again'))) {
        if (Date.now() > deadline) throw new Error('the counts never shared again');
        await counts.sync();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(counts.increment('10.0.0.1').current).toBe(5);
    } finally {
      await own.stop();
    }
  });

  it('refuses a window under a second', () => {
    const kv = { bucket: () => Promise.reject(new Error('not used')) };
    expect(() => createSharedRequestCounts({ kv, windowMs: 500, log })).toThrow(/at least 1 s/);
  });
});
