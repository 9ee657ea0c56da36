// `npm run bench`: runs every benchmark folder (bench/<name>/bench.ts) in turn, or only those named on the
// command line (`npm run bench -- http`), prints one table, and exits 1 when a goal is missed.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { removeTempDirs, stopAll, tempDir } from '@homeport/testkit';
import { formatNumber, formatTable } from './lib/table.js';
import { type Benchmark, type Figure, meetsGoal } from './lib/types.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

function seconds(variable: string, fallback: number): number {
  const text = process.env[variable];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${variable} must be a whole number of seconds ≥ 1`);
  return value;
}

function isBenchmark(value: unknown): value is Benchmark {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.name === 'string' && typeof candidate.run === 'function';
}

async function loadBenchmarks(selected: readonly string[]): Promise<Benchmark[]> {
  const folders = readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(BENCH_DIR, entry.name, 'bench.ts')))
    .map((entry) => entry.name)
    .sort();
  const unknown = selected.filter((name) => !folders.includes(name));
  if (unknown.length > 0)
    throw new Error(`no benchmark ${unknown.join(', ')}; available: ${folders.join(', ')}`);
  const benchmarks: Benchmark[] = [];
  for (const folder of selected.length > 0 ? selected : folders) {
    const module: unknown = await import(pathToFileURL(join(BENCH_DIR, folder, 'bench.ts')).href);
    const benchmark = (module as { benchmark?: unknown }).benchmark;
    if (!isBenchmark(benchmark))
      throw new Error(`bench/${folder}/bench.ts must export const benchmark: Benchmark`);
    benchmarks.push(benchmark);
  }
  return benchmarks;
}

function formatValue(figure: Figure): string {
  // A figure a benchmark could not take (its detail says why) is printed as such, never as a number.
  if (Number.isNaN(figure.value)) return 'not measured';
  const digits = figure.unit === 'x' ? 2 : figure.unit === 'ms' ? 2 : 0;
  return `${formatNumber(figure.value, digits)} ${figure.unit}`;
}

async function main(): Promise<number> {
  const durationSec = seconds('BENCH_DURATION_S', 10);
  const warmupSec = seconds('BENCH_WARMUP_S', 3);
  const benchmarks = await loadBenchmarks(process.argv.slice(2));
  const rows: string[][] = [];
  let missed = 0;
  let failed = 0;

  for (const benchmark of benchmarks) {
    console.log(`\n=== ${benchmark.name}: ${benchmark.description}`);
    const workDir = tempDir(`homeport-bench-${benchmark.name}-`);
    try {
      const figures = await benchmark.run({
        durationSec,
        warmupSec,
        workDir,
        log: (line) => console.log(line),
      });
      for (const figure of figures) {
        const met = figure.goal === undefined ? undefined : meetsGoal(figure.value, figure.goal);
        if (met === false) missed += 1;
        rows.push([
          benchmark.name,
          figure.label,
          formatValue(figure),
          figure.goal ? `${figure.goal.comparison} ${figure.goal.target}` : '',
          met === undefined ? '' : met ? 'met' : 'MISSED',
          figure.detail ?? '',
        ]);
      }
    } catch (error) {
      failed += 1;
      console.error(`${benchmark.name} failed:`, error);
      rows.push([benchmark.name, 'FAILED', '', '', '', String(error).split('\n')[0] ?? '']);
    } finally {
      // Whatever a failed benchmark left running is stopped by PID before the next one starts.
      await stopAll();
    }
  }
  removeTempDirs();

  console.log(
    `\nResults (each run ${durationSec} s after a ${warmupSec} s warm-up, ${new Date().toISOString()})\n`,
  );
  console.log(formatTable(['Bench', 'Figure', 'Value', 'Goal', 'Result', 'Detail'], rows));
  const verdict =
    failed > 0 ? `${failed} benchmark(s) failed` : missed > 0 ? `${missed} goal(s) missed` : 'all goals met';
  console.log(`\n${verdict}`);
  return failed + missed > 0 ? 1 : 0;
}

process.exitCode = await main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  return 1;
});
