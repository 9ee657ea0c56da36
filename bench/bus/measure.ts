// The two shapes of measurement in bench/bus: a pair of workers streaming (publisher and subscriber, or the
// two crypto loops) counted by the benchmark process over the same window of time, and a closed-loop
// publisher that measures itself.

import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchmarkContext } from '../lib/types.js';
import type { LoadResult } from '../store/load.js';
import type { Job } from './protocol.js';
import type { CountSnapshot, WorkerPool, WorkerProcess } from './worker-process.js';

/** Messages (or frames) per second between two snapshots of a count. */
function rate(from: CountSnapshot, to: CountSnapshot): number {
  return (to.n - from.n) / ((to.at - from.at) / 1000);
}

async function waitWhileRunning(ms: number, workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.race([sleep(ms), ...workers.map((worker) => worker.failed)]);
}

/**
 * The warm-up, then the count the measured window starts from: the next count to arrive, so the window opens
 * on a report (a start-up slower than the warm-up, or a pause at its end, is not counted as running time).
 */
async function warmUp(
  context: BenchmarkContext,
  counted: WorkerProcess,
  workers: readonly WorkerProcess[],
): Promise<CountSnapshot> {
  await waitWhileRunning(context.warmupSec * 1000, workers);
  const before = counted.snapshot();
  const next = new Promise<CountSnapshot>((resolve) =>
    counted.onCount(() => {
      if (counted.snapshot().n > before.n) resolve(counted.snapshot());
    }),
  );
  const started = await Promise.race([next, sleep(30_000), ...workers.map((worker) => worker.failed)]);
  if (started === undefined) throw new Error(`${counted.describe}: nothing counted 30 s after the warm-up`);
  return started;
}

/**
 * A publisher and a subscriber: the publisher is credited with every count the subscriber reports and stays
 * at most its window ahead. The figure is what the subscriber received per second after the warm-up.
 */
export async function measurePubSub(
  context: BenchmarkContext,
  pool: WorkerPool,
  name: string,
  subscriber: Job,
  publisher: Job,
): Promise<number> {
  const sub = await pool.start(subscriber);
  const pub = await pool.start(publisher);
  try {
    sub.onCount((received) => pub.send({ type: 'credit', received }));
    sub.send({ type: 'go' });
    pub.send({ type: 'go' });
    const from = await warmUp(context, sub, [sub, pub]);
    await waitWhileRunning(context.durationSec * 1000, [sub, pub]);
    const to = sub.snapshot();
    const perSec = rate(from, to);
    context.log(
      `  ${name}: ${Math.round(perSec)} msgs/s received (${to.n - from.n} in ${((to.at - from.at) / 1000).toFixed(1)} s)`,
    );
    return perSec;
  } finally {
    await Promise.all([pub.stop(), sub.stop()]);
  }
}

/**
 * The crypto of the E2E pipeline without its transport: the sealer stays at most its window ahead of the
 * opener's count, as the publisher does, and the opener never opens more frames than the sealer has sealed
 * (it opens frames sealed beforehand, so nothing travels). The figure is what the opener opened per second.
 */
export async function measureCryptoPair(
  context: BenchmarkContext,
  pool: WorkerPool,
  name: string,
  seal: Job,
  open: Job,
): Promise<{ seal: number; open: number }> {
  const sealer = await pool.start(seal);
  const opener = await pool.start(open);
  try {
    opener.onCount((opened) => sealer.send({ type: 'credit', received: opened }));
    sealer.onCount((sealed) => opener.send({ type: 'credit', received: sealed }));
    opener.send({ type: 'go' });
    sealer.send({ type: 'go' });
    const opened = await warmUp(context, opener, [sealer, opener]);
    const from = { seal: sealer.snapshot(), open: opened };
    await waitWhileRunning(context.durationSec * 1000, [sealer, opener]);
    const rates = { seal: rate(from.seal, sealer.snapshot()), open: rate(from.open, opener.snapshot()) };
    context.log(`  ${name}: ${Math.round(rates.open)} frames/s opened (sealed ${Math.round(rates.seal)}/s)`);
    return rates;
  } finally {
    await Promise.all([sealer.stop(), opener.stop()]);
  }
}

/** A closed-loop publisher (its own warm-up, then the measured run). */
export async function measureClosedLoop(
  context: BenchmarkContext,
  pool: WorkerPool,
  name: string,
  job: Job,
): Promise<LoadResult> {
  const worker = await pool.start(job);
  try {
    worker.send({ type: 'go' });
    const load = await worker.result();
    context.log(
      `  ${name}: ${Math.round(load.callsPerSec)} msgs/s acked, p50 ${load.latencyMs.p50.toFixed(2)} ms, p99 ${load.latencyMs.p99.toFixed(2)} ms`,
    );
    return load;
  } finally {
    await worker.stop();
  }
}
