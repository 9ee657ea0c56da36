// What a benchmark folder exports: bench/<name>/bench.ts has `export const benchmark: Benchmark`.

export interface Goal {
  comparison: '>=' | '<=' | '<';
  target: number;
}

/** One measured number; those with a goal decide whether `npm run bench` passes. */
export interface Figure {
  label: string;
  value: number;
  unit: string;
  goal?: Goal;
  /** Context printed next to the value (latency percentiles, status counts). */
  detail?: string;
}

export interface BenchmarkContext {
  /** Length of each measured run (BENCH_DURATION_S, default 10). */
  durationSec: number;
  /** Length of the warm-up before a measured run (BENCH_WARMUP_S, default 3). */
  warmupSec: number;
  /** A folder for this benchmark's logs and scripts, kept until the run ends. */
  workDir: string;
  /** Progress lines, printed as they happen. */
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  /** One line: what is measured against what. */
  description: string;
  run(context: BenchmarkContext): Promise<Figure[]>;
}

export function meetsGoal(value: number, goal: Goal): boolean {
  if (goal.comparison === '>=') return value >= goal.target;
  return goal.comparison === '<=' ? value <= goal.target : value < goal.target;
}
