// One timed start: spawn a process, poll a URL every few milliseconds on a fresh connection until it answers
// 200, and read how much CPU the process had used by then; then stop it by PID.

import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { type ManagedProcess, startProcess } from '@homeport/testkit';

/** How often the URL is asked: short, so the figure is not rounded up to the poll interval. */
export const POLL_MS = 5;
const TIMEOUT_MS = 60_000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 per second on every Linux port). */
const TICK_MS = 10;

export interface LaunchResult {
  /** From just before the spawn to the first 200 (or to the exit, for a command without a URL). */
  ms: number;
  /** CPU time (user + system) the process had used at that moment; undefined if /proc could not say. */
  cpuMs: number | undefined;
}

export interface LaunchOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  /** Polled with GET until 200; without it the run ends when the process exits (status 0 required). */
  url?: string;
  /** stdout and stderr go here, so the measuring process never reads a busy child's output. */
  logFile: string;
}

/** One GET on a new connection: the status, or 0 when nothing answers yet (refused, reset). */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

function cpuMsOf(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces and parentheses): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    // Not Linux, or the process is gone: the figure is printed without its CPU time.
    return undefined;
  }
}

async function untilAnswers(url: string, process: ManagedProcess, name: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    if ((await status(url)) === 200) return;
    const exited = process.exitStatus();
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}) before ${url} answered 200`);
    if (Date.now() > deadline) throw new Error(`${name}: ${url} did not answer 200 within ${TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Runs one start and stops the process; throws with the end of its log when it fails. */
export async function launch(options: LaunchOptions): Promise<LaunchResult> {
  const started = performance.now();
  const process = await startProcess(options.command, options.args, {
    name: options.name,
    logFile: options.logFile,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  let result: LaunchResult;
  try {
    result = await measured(options, process, started);
  } catch (error) {
    await process.stop();
    throw new Error(`${(error as Error).message}\n${process.output()}`, { cause: error });
  }
  const exit = await process.stop();
  // A server that does not stop cleanly on SIGTERM is a finding, not something to measure past.
  if (options.url !== undefined && exit.code !== 0 && exit.signal !== 'SIGTERM')
    throw new Error(`${options.name} stopped with ${JSON.stringify(exit)}\n${process.output()}`);
  return result;
}

async function measured(
  options: LaunchOptions,
  process: ManagedProcess,
  started: number,
): Promise<LaunchResult> {
  if (options.url === undefined) {
    const exit = await process.exited;
    const ms = performance.now() - started;
    if (exit.code !== 0) throw new Error(`${options.name} exited ${JSON.stringify(exit)}`);
    return { ms, cpuMs: undefined };
  }
  await untilAnswers(options.url, process, options.name);
  const ms = performance.now() - started;
  return { ms, cpuMs: cpuMsOf(process.pid) };
}
