// A closed-loop load generator inside this process: `concurrency` lanes each run the operation again as soon
// as the previous call returned, for a fixed time, so every backend sees the same number of calls in flight.

import { performance } from 'node:perf_hooks';

/** One call of an operation; `lane` (0 … concurrency-1) lets each lane work on records of its own. */
export type Operation = (lane: number) => Promise<void>;

export interface LoadResult {
  calls: number;
  durationSec: number;
  callsPerSec: number;
  latencyMs: { p50: number; p99: number };
}

export interface LoadOptions {
  concurrency: number;
  durationSec: number;
  operation: Operation;
}

const percentile = (sorted: Float64Array, fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;

/** Runs the load; the first failing call fails the whole run (a figure with errors means nothing). */
export async function runLoad({ concurrency, durationSec, operation }: LoadOptions): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let calls = 0;
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  let failure: unknown;
  const lane = async (index: number): Promise<void> => {
    while (failure === undefined && performance.now() < deadline) {
      const begun = performance.now();
      try {
        await operation(index);
      } catch (error) {
        failure ??= error;
        return;
      }
      if (calls === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[calls] = performance.now() - begun;
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => lane(index)));
  if (failure !== undefined) throw failure;
  // Calls in flight at the deadline finish and count, so the time runs until the last one returned.
  const elapsedSec = (performance.now() - started) / 1000;
  const sorted = latencies.subarray(0, calls).sort();
  return {
    calls,
    durationSec: elapsedSec,
    callsPerSec: calls / elapsedSec,
    latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) },
  };
}
