// Runs one child process and keeps it running: waits until it is ready, restarts it with doubling backoff
// when it dies unexpectedly, and stops it by PID (SIGTERM, then SIGKILL after a bound).

import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type SpawnChild = (command: string, args: readonly string[]) => ChildProcess;

export interface SupervisorOptions {
  /** Used in log lines and errors, e.g. `nats-server`. */
  name: string;
  command: string;
  args: readonly string[];
  /** The supervisor's own messages (started, exited, restarting). */
  log: Logger;
  /** Every line the child writes on stdout or stderr. */
  onLine(line: string): void;
  /** Resolves once the child serves; polled until `readyTimeoutMs`, then the start counts as failed. */
  ready(signal: AbortSignal): Promise<void>;
  readyTimeoutMs?: number;
  /** First restart delay (default 1 s), doubled after each unexpected exit up to `maxBackoffMs` (30 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that stayed up this long (default 60 s) restarts after `initialBackoffMs` again. */
  stableAfterMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Child processes are a port: tests may pass their own. */
  spawn?: SpawnChild;
  onUp?(pid: number): void;
  onDown?(status: ExitStatus): void;
  /** Called before each restart attempt. */
  onRestart?(): void;
}

export interface Supervisor {
  /** Starts the child and resolves once it is ready; rejects with its last output lines when it is not. */
  start(): Promise<void>;
  /** Stops the child and every pending restart; resolves once the process is gone. */
  stop(): Promise<void>;
  /** The running child's PID. */
  readonly pid: number | undefined;
}

/** Why a start failed, with the child's last lines for the operator. */
export class ChildStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}${output === '' ? '' : `\n${output}`}`);
    this.name = 'ChildStartError';
  }
}

const TAIL_LINES = 40;

/**
 * util-linux's setpriv, where there is one: it sets PR_SET_PDEATHSIG and execs the command (same PID), so
 * the child is sent SIGTERM when Homeport dies in a way no exit handler sees (SIGKILL, the OOM killer). Node
 * cannot set the parent-death signal itself. Without it, a killed Homeport left its nats-server running,
 * holding the port and the JetStream store the next start needs.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** Through setpriv only a command known to be executable, so a missing one still fails as spawn's ENOENT. */
const executable = (command: string): boolean => {
  try {
    accessSync(command, constants.X_OK);
    return isAbsolute(command);
  } catch {
    return false;
  }
};

const defaultSpawn: SpawnChild = (command, args) =>
  SETPRIV !== undefined && process.platform === 'linux' && executable(command)
    ? nodeSpawn(SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: false,
      })
    : nodeSpawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn that fails (ENOENT, EACCES) emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: null, signal: null }));
  });
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, name);
  } catch (error) {
    // ESRCH: it exited meanwhile, which is what the caller wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const spawn = options.spawn ?? defaultSpawn;
  const initialBackoffMs = options.initialBackoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const stableAfterMs = options.stableAfterMs ?? 60_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  let current: { child: ChildProcess; exited: Promise<ExitStatus> } | undefined;
  let stopping = false;
  let backoffMs = initialBackoffMs;
  let upSince = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  // The child must not outlive Homeport when it exits without stop() (an uncaught error): a nats-server left
  // behind would hold the port and the JetStream store.
  const killOnExit = (): void => signal(current?.child.pid, 'SIGKILL');

  const launch = async (): Promise<void> => {
    const tail: string[] = [];
    const child = spawn(options.command, options.args);
    const exited = exitOf(child);
    current = { child, exited };
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    const follow = (stream: Readable | null): void => {
      if (!stream) return;
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLine(line);
      });
    };
    follow(child.stdout);
    follow(child.stderr);

    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      options.ready(abort.signal).then(
        () => 'ready' as const,
        (error: unknown) => `readiness check failed: ${String(error)}`,
      ),
      exited.then((status) =>
        spawnError
          ? `could not be started: ${spawnError.message}`
          : `exited (code ${status.code}, signal ${status.signal}) before it was ready`,
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`was not ready after ${readyTimeoutMs} ms`), readyTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    abort.abort();
    if (outcome !== 'ready') {
      signal(child.pid, 'SIGKILL');
      await exited;
      if (current?.child === child) current = undefined;
      throw new ChildStartError(`${options.name} ${outcome}`, tail.join('\n'));
    }
    upSince = Date.now();
    options.log.info({ childPid: child.pid }, `${options.name} ready`);
    options.onUp?.(child.pid as number); // ready implies it spawned, so it has a PID
    void exited.then((status) => onExit(child, status));
  };

  const onExit = (child: ChildProcess, status: ExitStatus): void => {
    if (current?.child !== child) return;
    current = undefined;
    options.onDown?.(status);
    if (stopping) return;
    if (Date.now() - upSince >= stableAfterMs) backoffMs = initialBackoffMs;
    scheduleRestart(status);
  };

  const scheduleRestart = (status: ExitStatus | undefined): void => {
    const waitMs = backoffMs;
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    options.log.warn({ ...status, restartInMs: waitMs }, `${options.name} is down; restarting`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      options.onRestart?.();
      launch().catch((error: unknown) => {
        if (stopping) return;
        options.log.error({ err: error }, `${options.name} restart failed`);
        scheduleRestart(undefined);
      });
    }, waitMs);
  };

  return {
    get pid() {
      return current?.child.pid;
    },
    async start() {
      stopping = false;
      process.on('exit', killOnExit);
      try {
        await launch();
      } catch (error) {
        process.off('exit', killOnExit);
        throw error;
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      restartTimer = undefined;
      const running = current;
      if (running) {
        signal(running.child.pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
        });
        const first = await Promise.race([running.exited, gaveUp]);
        clearTimeout(timer);
        if (first === 'timeout') {
          options.log.warn(
            { childPid: running.child.pid },
            `${options.name} ignored SIGTERM; sending SIGKILL`,
          );
          signal(running.child.pid, 'SIGKILL');
          await running.exited;
        }
      }
      process.off('exit', killOnExit);
    },
  };
}
