// Servers that daemonize (nginx, apache2 -k start): run the start command, read the daemon's PID from its pid
// file, wait until it answers, and stop it by that PID. Registered like any started process, so stopAll() and
// the exit hook end it too.

import { readFileSync } from 'node:fs';
import { TestkitError } from '../errors.js';
import { type ManagedProcess, startProcess } from './managed-process.js';
import { register, type Stoppable, unregister } from './registry.js';

export interface StartDaemonOptions {
  /** Used in messages, e.g. `nginx`. */
  name: string;
  /** Where the daemon writes its PID. */
  pidFile: string;
  /** Polled with GET until it answers HTTP, whatever the status (a folder without an index answers 403). */
  readyUrl: string;
  /** A log file whose tail explains a failure (the daemon's error log). */
  logFile?: string;
  /** How long start-up may take (default 20 s). */
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
}

export interface Daemon {
  readonly pid: number;
  readonly name: string;
  /** SIGTERM to the PID, SIGKILL after `timeoutMs` (default 10 s); resolves once the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Fields 3 onwards of /proc/<pid>/stat (state, ppid, pgrp…), or undefined once the process is gone. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the parenthesised command name, which may itself hold spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    // No /proc entry: the process is gone.
    return undefined;
  }
}

/** Whether `pid` is still a live process; a zombie counts as gone (PID 1 here does not always reap). */
export function isAlive(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/**
 * SIGKILL for the daemon and its workers: both nginx and apache call setsid(), so the daemon leads its own
 * process group and the group holds nothing else; a SIGKILLed master would otherwise leave workers behind.
 */
function killGroup(pid: number): void {
  const leadsGroup = procStat(pid)?.[2] === String(pid);
  signal(leadsGroup ? -pid : pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // ESRCH: it exited meanwhile, which is what stopping wants.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    // Not written yet.
    return undefined;
  }
}

function tail(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    return `\n--- ${path} ---\n${readFileSync(path, 'utf8').slice(-16_384)}`;
  } catch {
    return `\n(no ${path})`;
  }
}

/**
 * Runs `command args` (which forks a daemon and exits), then waits for the pid file and for `readyUrl` to answer.
 * On failure the daemon, if it got as far as a PID, is stopped and a TestkitError `startup_failed` carries the
 * start command's output and the tail of `logFile`.
 *
 * @example
 *   const nginx = await startPidFileDaemon(nginxPath, ['-c', conf, '-p', `${root}/`], {
 *     name: 'nginx', pidFile: `${root}/run/nginx.pid`, readyUrl: `http://127.0.0.1:${port}/`,
 *   });
 *   await nginx.stop();
 */
export async function startPidFileDaemon(
  command: string,
  args: readonly string[],
  options: StartDaemonOptions,
): Promise<Daemon> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  // The launcher itself ends as soon as the daemon has forked; its PDEATHSIG does not pass to the daemon.
  const launcher: ManagedProcess = await startProcess(command, args, {
    name: `${options.name} (launcher)`,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const launched = await launcher.exited;
  const fail = (reason: string): TestkitError =>
    new TestkitError(
      'startup_failed',
      `${options.name} ${reason}\n${launcher.output()}${tail(options.logFile)}`,
    );
  if (launched.code !== 0) throw fail(`start command exited with ${JSON.stringify(launched)}`);

  const deadline = Date.now() + timeoutMs;
  let pid = readPid(options.pidFile);
  while (pid === undefined || !isAlive(pid)) {
    if (Date.now() > deadline) throw fail(`wrote no live PID to ${options.pidFile} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
    pid = readPid(options.pidFile);
  }
  const daemonPid = pid;

  let stopping: Promise<void> | undefined;
  const stop = (stopTimeoutMs = 10_000) => {
    stopping ??= (async () => {
      signal(daemonPid, 'SIGTERM');
      if (!(await waitGone(daemonPid, stopTimeoutMs))) {
        killGroup(daemonPid);
        await waitGone(daemonPid, 5000);
      }
      unregister(entry);
    })();
    return stopping;
  };
  const entry: Stoppable = {
    description: `${options.name} (pid ${daemonPid})`,
    stop: () => stop(),
    killNow: () => {
      if (isAlive(daemonPid)) killGroup(daemonPid);
    },
  };
  register(entry);

  if (!(await answersHttp(options.readyUrl, deadline))) {
    await stop(2000);
    throw fail(`(pid ${daemonPid}) did not answer GET ${options.readyUrl} within ${timeoutMs} ms`);
  }
  return { pid: daemonPid, name: options.name, stop };
}

async function answersHttp(url: string, deadline: number): Promise<boolean> {
  while (Date.now() <= deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return true;
    } catch {
      // ECONNREFUSED while the workers are still starting.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Direct children of `pid` (the kernel's list; empty once it is gone). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((field) => field !== '')
      .map(Number);
  } catch {
    // No such process any more: it has no children either.
    return [];
  }
}
