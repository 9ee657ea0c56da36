// Measured wrk runs for throughput figures: a warm-up then the measured run (refused when it saw errors),
// the median of several rounds, and the one-line details printed next to a figure.

import type { BenchmarkContext } from './types.js';
import { describeWrk, runWrk, type WrkOptions, type WrkResult } from './wrk.js';

/** A warm-up run, then the measured run; refuses a result with errors, which would make it meaningless. */
export async function measure(
  context: BenchmarkContext,
  options: Omit<WrkOptions, 'durationSec' | 'workDir'>,
): Promise<WrkResult> {
  await runWrk({
    ...options,
    name: `${options.name}-warmup`,
    durationSec: context.warmupSec,
    workDir: context.workDir,
  });
  const result = await runWrk({ ...options, durationSec: context.durationSec, workDir: context.workDir });
  context.log(`  ${options.name}: ${describeWrk(result)}`);
  const { connect, read, write, timeout, status } = result.errors;
  if (connect + read + write + timeout + status > 0) {
    throw new Error(
      `${options.name}: errors during the run ${JSON.stringify(result.errors)}; figures not valid`,
    );
  }
  return result;
}

/** The round with the median requests/s (the upper middle one of an even count). */
export function median(results: readonly WrkResult[]): WrkResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('median of no results');
  return middle;
}

/** Each round's requests/s, for the detail column. */
export function roundsOf(results: readonly WrkResult[]): string {
  return results.map((result) => `${Math.round(result.requestsPerSec).toLocaleString('en-US')}`).join(', ');
}

export function latencyDetail(result: WrkResult): string {
  return `p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms`;
}
