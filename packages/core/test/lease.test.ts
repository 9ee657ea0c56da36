// Background jobs once per cluster: two replicas (two connections to a real nats-server) share a lease; the
// job runs on one of them only, the other takes over once the holder stops renewing (with a higher fence),
// and of two replicas racing for a free lease exactly one gets it.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJetStreamKv } from '../src/store/kv-jetstream.js';
import { acquireLease, kvSingleton, localSingleton } from '../src/store/lease.js';

let server: NatsServerInstance;
const connections: NatsConnection[] = [];
const log = pino({ level: 'silent' });

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await server?.stop();
});

async function replica(module: string) {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  return createJetStreamKv({ kvm: new Kvm(nc), module, replicas: 1 });
}

const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('leases', () => {
  it('runs a job on one replica only, and moves it when the holder stops renewing', async () => {
    const runs: { holder: string; fence: number }[] = [];
    const job =
      (holder: string) =>
      async ({ fence }: { fence: number }) => {
        runs.push({ holder, fence });
      };
    // What each replica reports to its job-runs metric.
    const counted = { a: 0, b: 0 };
    const a = kvSingleton({
      kv: await replica('jobs1'),
      holder: 'a',
      log,
      ttlMs: () => 1500,
      onRun: () => (counted.a += 1),
    });
    const b = kvSingleton({
      kv: await replica('jobs1'),
      holder: 'b',
      log,
      ttlMs: () => 1500,
      onRun: () => (counted.b += 1),
    });
    const stopA = a.every('sweep', 100, job('a'));
    const stopB = b.every('sweep', 100, job('b'));
    await until('twenty runs', () => runs.length >= 20);
    const first = runs[0]?.holder;
    expect(new Set(runs.map((run) => run.holder))).toEqual(new Set([first]));
    expect(counted[first === 'a' ? 'b' : 'a']).toBe(0);
    const leader = first === 'a' ? stopA : stopB;
    const other = first === 'a' ? 'b' : 'a';
    leader();
    await until('the other replica to take over', () => runs.some((run) => run.holder === other));
    const taken = runs.filter((run) => run.holder === other);
    expect(Math.min(...taken.map((run) => run.fence))).toBe((runs[0]?.fence ?? 0) + 1);
    (first === 'a' ? stopB : stopA)();
    // Counted where they ran, and only there (runs may trail a count by one run still in flight).
    expect(counted.a + counted.b - runs.length).toBeGreaterThanOrEqual(0);
    expect(counted.a + counted.b - runs.length).toBeLessThanOrEqual(2);
  });

  it('gives a free lease to exactly one of two replicas racing for it', async () => {
    const kvA = await replica('jobs2');
    const kvB = await replica('jobs2');
    const [bucketA, bucketB] = await Promise.all([kvA.bucket('leases'), kvB.bucket('leases')]);
    for (let round = 0; round < 5; round++) {
      const name = `race-${round}`;
      const now = Date.now();
      const results = await Promise.all([
        acquireLease(bucketA, name, 'a', 5000, now),
        acquireLease(bucketB, name, 'b', 5000, now),
      ]);
      expect(results.filter((lease) => lease !== undefined)).toHaveLength(1);
    }
  });

  it('on one process runs the job at once and then every interval', async () => {
    const fences: number[] = [];
    const counted: string[] = [];
    const stop = localSingleton(log, (job) => counted.push(job)).every('local', 50, async ({ fence }) => {
      fences.push(fence);
    });
    await until('three runs', () => fences.length >= 3);
    stop();
    expect(fences.slice(0, 3)).toEqual([1, 2, 3]);
    expect(counted.slice(0, 3)).toEqual(['local', 'local', 'local']);
  });
});
