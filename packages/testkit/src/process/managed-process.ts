// Starts a real child process, captures its output in bounded buffers, waits until it is ready and stops it
// by PID (SIGTERM, then SIGKILL). Servers, browsers and daemons in tests all go through here.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { TestkitError } from '../errors.js';
import { findExecutable, requireCommand } from '../require-command.js';
import { LineSplitter, OutputBuffer } from './output-buffer.js';
import { describeReadyCheck, pollUrl, type ReadyCheck } from './readiness.js';
import { register, type Stoppable, unregister } from './registry.js';

export type { ReadyCheck } from './readiness.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  /** Merged over process.env; a variable set to undefined is removed. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** What "started" means; without it the process counts as started once spawned. */
  ready?: ReadyCheck;
  /** How long readiness may take (default 20 s). */
  timeoutMs?: number;
  /** Used in messages (default: the command's base name). */
  name?: string;
  /**
   * Send stdout and stderr straight to this file instead of through the test process, for benchmarks where
   * reading a busy server's log would cost the measuring process CPU. Not usable with `ready: { line }`.
   */
  logFile?: string;
  /** Characters kept per stream (default 256 Ki); older output is dropped. */
  maxOutputChars?: number;
  /**
   * SIGKILL the process when the test process dies, however it dies (default true). Vitest ends its fork
   * workers without running 'exit' hooks, and an orphaned server would keep its port and data dir.
   */
  dieWithParent?: boolean;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly name: string;
  /** Captured stdout (the newest `maxOutputChars`); with `logFile`, the tail of that file. */
  stdout(): string;
  /** Captured stderr; with `logFile` it is in the file and this is empty. */
  stderr(): string;
  /** Both streams, labelled, for error messages. */
  output(): string;
  /** Resolves when the process has exited, however that happened. */
  readonly exited: Promise<ExitStatus>;
  /** The exit status once it has exited. */
  exitStatus(): ExitStatus | undefined;
  /**
   * Sends `signal` to the PID, waits up to `timeoutMs`, then sends SIGKILL. Resolves with how it exited;
   * calling it again, or after the process exited by itself, just returns that status.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_BYTES = 64 * 1024;

/** The last `bytes` of a file, read from its end so a large server log is not loaded whole. */
function readTail(path: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return start > 0 ? `[… ${start} earlier bytes not shown …]\n${text}` : text;
  } catch (error) {
    return `(could not read ${path}: ${String(error)})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function childEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

/**
 * Starts `command args` and resolves once it is ready; on failure the thrown TestkitError (`startup_failed`)
 * carries the process's output, and the process has been stopped.
 *
 * @example
 *   const server = await startProcess('nats-server', ['-p', String(port)], { ready: { line: /Server is ready/ } });
 *   await server.stop();
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartProcessOptions = {},
): Promise<ManagedProcess> {
  const name = options.name ?? basename(command);
  if (options.logFile !== undefined && options.ready !== undefined && 'line' in options.ready) {
    throw new TypeError(
      `startProcess(${name}): ready.line needs captured output; drop logFile or use ready.url`,
    );
  }
  const executable = findExecutable(command);
  if (executable === undefined) {
    throw new TestkitError(
      'startup_failed',
      `could not start ${name}: ${command} not found or not executable`,
    );
  }
  // setpriv (util-linux, always on Debian) sets PR_SET_PDEATHSIG and then execs the command, so the PID
  // stays the command's own and stop() still signals the right process.
  const [spawnCommand, spawnArgs] =
    options.dieWithParent === false
      ? [executable, args]
      : [requireCommand('setpriv', 'util-linux'), ['--pdeathsig', 'KILL', '--', executable, ...args]];
  const limit = options.maxOutputChars ?? 256 * 1024;
  const stdoutBuffer = new OutputBuffer(limit);
  const stderrBuffer = new OutputBuffer(limit);
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');

  let child: ChildProcess;
  try {
    child = spawn(spawnCommand, spawnArgs, {
      cwd: options.cwd,
      env: childEnv(options.env),
      detached: false,
      stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
    });
    await once(child, 'spawn');
  } catch (error) {
    throw new TestkitError('startup_failed', `could not start ${name} (${command}): ${String(error)}`, {
      cause: error,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }
  // 'spawn' fired, so the kernel gave it a PID.
  const pid = child.pid as number;

  const lineListeners = new Set<(line: string) => void>();
  const emitLine = (line: string) => {
    for (const listener of lineListeners) listener(line);
  };
  const capture = (stream: NodeJS.ReadableStream | null, buffer: OutputBuffer) => {
    if (!stream) return;
    const splitter = new LineSplitter(emitLine);
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      buffer.append(text);
      splitter.push(text);
    });
    stream.on('end', () => splitter.flush());
  };
  capture(child.stdout, stdoutBuffer);
  capture(child.stderr, stderrBuffer);

  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  // All output read (pipes closed); error messages wait for it briefly so they show the last lines.
  const drained = once(child, 'close').then(() => undefined);

  const stdout = () =>
    options.logFile === undefined ? stdoutBuffer.text() : readTail(options.logFile, LOG_TAIL_BYTES);
  const stderr = () => (options.logFile === undefined ? stderrBuffer.text() : '');
  const output = () =>
    options.logFile === undefined
      ? `--- stdout ---\n${stdout()}\n--- stderr ---\n${stderr()}`
      : `--- ${options.logFile} ---\n${stdout()}`;

  let stopping: Promise<ExitStatus> | undefined;
  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS) => {
    // Resolves once it exited and its output was read to the end (briefly bounded: a grandchild may hold the
    // pipe), so what it wrote while stopping is in stdout() for the caller.
    const andDrained = async (result: ExitStatus): Promise<ExitStatus> => {
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2000))]);
      return result;
    };
    stopping ??= (async () => {
      if (status) return andDrained(status);
      try {
        process.kill(pid, signal);
      } catch (error) {
        // ESRCH: it exited between the check above and the signal; 'exit' is on its way.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const first = await Promise.race([exited, gaveUp]);
      clearTimeout(timer);
      if (first !== 'timeout') return andDrained(first);
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
      return andDrained(await exited);
    })();
    return stopping;
  };

  const managed: ManagedProcess = {
    pid,
    name,
    stdout,
    stderr,
    output,
    exited,
    exitStatus: () => status,
    stop,
  };
  const entry: Stoppable = {
    description: `${name} (pid ${pid})`,
    stop: () => stop(),
    killNow: () => {
      if (status) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: nothing left to clean up.
      }
    },
  };
  register(entry);
  void exited.then(() => unregister(entry));

  if (options.ready === undefined) return managed;
  await waitUntilReady(
    managed,
    options.ready,
    options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    lineListeners,
    drained,
  );
  return managed;
}

async function waitUntilReady(
  managed: ManagedProcess,
  check: ReadyCheck,
  timeoutMs: number,
  lineListeners: Set<(line: string) => void>,
  drained: Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  let listener: ((line: string) => void) | undefined;
  const ready =
    'url' in check
      ? pollUrl(check.url, abort.signal)
      : new Promise<void>((resolve) => {
          listener = (line) => {
            if (check.line.test(line)) resolve();
          };
          lineListeners.add(listener);
        });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`was not ready after ${timeoutMs} ms`), timeoutMs);
  });
  const exitedEarly = managed.exited.then(
    (status) => `exited (code ${status.code}, signal ${status.signal}) before it was ready`,
  );
  // pollUrl only rejects once aborted, i.e. after the race below is decided; turning that into a promise
  // that never settles keeps it from surfacing as an unhandled rejection.
  const becameReady = ready.then(
    () => undefined,
    () => new Promise<never>(() => {}),
  );
  const reason = await Promise.race([becameReady, timedOut, exitedEarly]);
  clearTimeout(timer);
  abort.abort(new Error('readiness wait ended'));
  if (listener) lineListeners.delete(listener);
  if (reason === undefined) return;

  await managed.stop('SIGTERM', 2000);
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 500))]);
  throw new TestkitError(
    'startup_failed',
    `${managed.name} (pid ${managed.pid}) ${reason}; waited for ${describeReadyCheck(check)}\n${managed.output()}`,
  );
}
