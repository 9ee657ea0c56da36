// The child supervisor with real short-lived processes: restart delays double up to the cap, a failed start
// carries the child's output, and stop escalates to SIGKILL when SIGTERM is ignored.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { until } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { parseNatsLogLine } from '../src/nats/log-lines.js';
import { ChildStartError, createSupervisor } from '../src/nats/supervisor.js';

const log = createLogger({ level: 'silent' });
const node = process.execPath;

describe('child supervisor', () => {
  it('restarts a child that keeps dying after doubling delays, capped, and stops restarting on stop()', async () => {
    const restarts: number[] = [];
    let resolveFive: () => void = () => {};
    const fiveRestarts = new Promise<void>((resolve) => {
      resolveFive = resolve;
    });
    const supervisor = createSupervisor({
      name: 'flaky',
      command: node,
      // Up for a moment, then gone: every exit is unexpected.
      args: ['-e', 'setTimeout(() => process.exit(3), 20)'],
      log,
      onLine: () => {},
      ready: async () => {},
      initialBackoffMs: 40,
      maxBackoffMs: 160,
      onRestart: () => {
        restarts.push(Date.now());
        if (restarts.length === 5) resolveFive();
      },
    });
    await supervisor.start();
    await fiveRestarts;
    await supervisor.stop();
    const count = restarts.length;
    const gaps = restarts.slice(1).map((at, i) => at - (restarts[i] as number));
    // Each gap is the backoff plus the child's ~20 ms of life (and process start-up).
    expect(gaps[0]).toBeGreaterThanOrEqual(80);
    expect(gaps[1]).toBeGreaterThanOrEqual(160);
    expect(gaps[2]).toBeGreaterThanOrEqual(160);
    expect(gaps[3]).toBeLessThan(160 + 1000);
    // No restart is pending after stop(): a child that would be due now never comes.
    const settled = Date.now();
    while (Date.now() - settled < 400) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(restarts.length).toBe(count);
  });

  it('fails a start with the exit status and the last lines of output', async () => {
    const supervisor = createSupervisor({
      name: 'broken',
      command: node,
      args: ['-e', 'console.error("bind: address already in use"); process.exit(1)'],
      log,
      onLine: () => {},
      ready: () => new Promise(() => {}),
    });
    const start = supervisor.start();
    await expect(start).rejects.toBeInstanceOf(ChildStartError);
    await expect(start).rejects.toThrow(/exited \(code 1.*\n.*address already in use/s);
  });

  it('fails a start whose binary cannot be run', async () => {
    const supervisor = createSupervisor({
      name: 'missing',
      command: '/nonexistent/binary',
      args: [],
      log,
      onLine: () => {},
      ready: () => new Promise(() => {}),
    });
    await expect(supervisor.start()).rejects.toThrow(/could not be started: .*ENOENT/);
  });

  it('sends SIGKILL after the bound when the child ignores SIGTERM', async () => {
    const lines: string[] = [];
    let readyLine: () => void = () => {};
    const sawReady = new Promise<void>((resolve) => {
      readyLine = resolve;
    });
    const supervisor = createSupervisor({
      name: 'stubborn',
      command: node,
      args: ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      log,
      onLine: (line) => {
        lines.push(line);
        if (line === 'ready') readyLine();
      },
      ready: () => sawReady,
      stopTimeoutMs: 300,
    });
    await supervisor.start();
    const pid = supervisor.pid as number;
    const started = Date.now();
    await supervisor.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(supervisor.pid).toBeUndefined();
  });
  it('takes its child down when Homeport is killed outright (SIGKILL runs no exit handler)', async () => {
    // A parent process like Homeport: it supervises a long-lived child and prints the child's pid.
    const supervisorModule = pathToFileURL(
      fileURLToPath(new URL('../src/nats/supervisor.ts', import.meta.url)),
    ).href;
    const script = [
      `import { createSupervisor } from ${JSON.stringify(supervisorModule)};`,
      `import pino from 'pino';`,
      `const supervisor = createSupervisor({ name: 'child', command: ${JSON.stringify(node)},`,
      `  args: ['-e', 'setInterval(() => {}, 1000)'], log: pino({ level: 'silent' }), onLine: () => {},`,
      `  ready: async () => {} });`,
      'await supervisor.start();',
      'console.log(supervisor.pid);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const parent = spawn(node, ['--import', tsx, '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const childPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.once('exit', (code) =>
        reject(new Error(`the parent exited (${code}) before its child started`)),
      );
    });
    expect(Number.isInteger(childPid)).toBe(true);
    expect(() => process.kill(childPid, 0)).not.toThrow();
    parent.kill('SIGKILL');
    // The parent-death signal (setpriv) reaches the child; without it the child would live on, reparented.
    await until(() => {
      try {
        process.kill(childPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
  });
});

describe('nats-server log lines', () => {
  it('maps [INF] [WRN] [ERR] [FTL] to levels, with or without a timestamp', () => {
    expect(parseNatsLogLine('[42] [INF] Server is ready')).toEqual({
      level: 'info',
      message: 'Server is ready',
    });
    expect(parseNatsLogLine('[42] 2024/05/01 10:00:00.123456 [WRN] slow consumer')).toEqual({
      level: 'warn',
      message: 'slow consumer',
    });
    expect(parseNatsLogLine('[42] [ERR] oops')?.level).toBe('error');
    expect(parseNatsLogLine('[42] [FTL] bind failed')?.level).toBe('fatal');
    expect(parseNatsLogLine('[42] [DBG] detail')?.level).toBe('debug');
    // The JetStream banner's ASCII art is demoted; a line in no known shape (a panic) is an error.
    expect(parseNatsLogLine('[42] [INF]  _ | | __|_   _/ __|')?.level).toBe('debug');
    expect(parseNatsLogLine('panic: runtime error')).toEqual({
      level: 'error',
      message: 'panic: runtime error',
    });
    expect(parseNatsLogLine('')).toBeUndefined();
  });
});
