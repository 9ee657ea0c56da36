// The benchmark side of a worker process (bench/bus/worker.ts): forks it with an IPC channel, hands it a
// job, follows its count, and stops it by PID.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from '../store/load.js';
import type { FanoutSummary, FromWorker, Job, ToWorker } from './protocol.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The last count a worker reported and when it arrived (performance.now()). */
export interface CountSnapshot {
  n: number;
  at: number;
}

export interface WorkerProcess {
  readonly pid: number;
  /** What the worker said it runs (connection, client), for the progress output. */
  readonly describe: string;
  snapshot(): CountSnapshot;
  /** Called with every count the worker reports. */
  onCount(listener: (n: number) => void): void;
  send(message: ToWorker): void;
  /** A closed-loop job's result. */
  result(): Promise<LoadResult>;
  /** SSE clients: what they saw of the `expected` measured messages. */
  report(expected: number): Promise<FanoutSummary>;
  /** Rejects when the worker reports an error or exits before it was stopped. */
  readonly failed: Promise<never>;
  stop(): Promise<void>;
}

/**
 * Extra node options for the workers: `BENCH_BUS_PROFILE=<dir>` writes a CPU profile of each worker there
 * (open it in Chrome DevTools), which is how the hot path of the SDK is found.
 */
function execArgv(): string[] {
  const profileDir = process.env.BENCH_BUS_PROFILE;
  return [
    '--import',
    'tsx',
    ...(profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]),
  ];
}

export interface WorkerPool {
  start(job: Job): Promise<WorkerProcess>;
  /** Stops every worker still running (after a failure). */
  stopAll(): Promise<void>;
}

/** Workers of one benchmark run, each told the run's warm-up and duration. */
export function createWorkerPool(timing: { warmupSec: number; durationSec: number }): WorkerPool {
  const running = new Set<WorkerProcess>();
  return {
    async start(job) {
      const worker = await startWorker(job, timing);
      running.add(worker);
      return worker;
    },
    async stopAll() {
      await Promise.all([...running].map((worker) => worker.stop()));
      running.clear();
    },
  };
}

async function startWorker(
  job: Job,
  timing: { warmupSec: number; durationSec: number },
): Promise<WorkerProcess> {
  const child: ChildProcess = fork(WORKER, [], {
    execArgv: execArgv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let last: CountSnapshot = { n: 0, at: performance.now() };
  const listeners: ((n: number) => void)[] = [];
  let stopped = false;
  let resolveResult: (load: LoadResult) => void = () => {};
  const result = new Promise<LoadResult>((resolve) => {
    resolveResult = resolve;
  });
  let resolveReport: (summary: FanoutSummary) => void = () => {};
  let rejectFailed: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject;
  });
  // Nobody may be awaiting it when it fails (between measurements): the next await on it still sees it.
  failed.catch(() => undefined);
  let resolveReady: (describe: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    resolveReady = resolve;
  });
  let resolveStopped: () => void = () => {};
  const stoppedAck = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  child.on('message', (raw: unknown) => {
    const message = raw as FromWorker; // our own worker's messages
    if (message.type === 'count') {
      last = { n: message.n, at: performance.now() };
      for (const listener of listeners) listener(message.n);
    } else if (message.type === 'ready') resolveReady(message.describe);
    else if (message.type === 'result') resolveResult(message.load);
    else if (message.type === 'fanout') resolveReport(message.summary);
    else if (message.type === 'error') rejectFailed(new Error(`worker ${job.role}: ${message.message}`));
    else if (message.type === 'stopped') resolveStopped();
  });
  child.on('exit', (code, signal) => {
    resolveStopped();
    if (!stopped)
      rejectFailed(new Error(`worker ${job.role} exited (${code ?? signal}) before it was stopped`));
  });
  const send = (message: ToWorker) => {
    // A worker that is stopping may have closed its end already; what it misses no longer matters.
    if (child.connected) child.send(message, undefined, undefined, () => {});
  };
  child.on('error', (error) => {
    if (!stopped) rejectFailed(new Error(`worker ${job.role}: ${error.message}`));
  });
  send({ type: 'job', job, ...timing });
  let describe: string;
  try {
    describe = await Promise.race([ready, failed]);
  } catch (error) {
    // It is not in the pool yet: a failed start must not leave it behind.
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid ?? -1;

  const worker: WorkerProcess = {
    pid,
    describe,
    snapshot: () => last,
    onCount: (listener) => void listeners.push(listener),
    send,
    result: () => Promise.race([result, failed]),
    report(expected) {
      const summary = new Promise<FanoutSummary>((resolve) => {
        resolveReport = resolve;
      });
      send({ type: 'report', expected });
      return Promise.race([summary, failed]);
    },
    failed,
    async stop() {
      if (stopped) return;
      stopped = true;
      send({ type: 'stop' });
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await Promise.all([stoppedAck, exited]);
      clearTimeout(timer);
    },
  };
  return worker;
}
