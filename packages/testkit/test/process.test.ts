// startProcess against real child processes (small node scripts): readiness, failures with output, stopping.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  REPO_ROOT,
  removeTempDirs,
  runningCount,
  startProcess,
  stopAll,
  TestkitError,
  tempDir,
} from '../src/index.js';

const NODE = process.execPath;
const TESTKIT_INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Runs `script` in a fresh node; the scripts print "ready" when they want to be considered started. */
function node(script: string): [string, string[]] {
  return [NODE, ['-e', script]];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: no such process.
    return false;
  }
}

async function startupError(started: Promise<unknown>): Promise<TestkitError> {
  const error = await started.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TestkitError);
  // Checked just above.
  return error as TestkitError;
}

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

describe('startProcess', () => {
  it('is ready once a line matching ready.line appears, and stop() returns the exit code', async () => {
    const child = await startProcess(
      ...node(`
        process.on('SIGTERM', () => { console.log('cleaning up'); process.exit(7); });
        setTimeout(() => console.log('listening on 1234'), 100);
        setInterval(() => {}, 1000);
      `),
      { ready: { line: /listening on \d+/ } },
    );
    expect(isAlive(child.pid)).toBe(true);
    expect(child.exitStatus()).toBeUndefined();

    const status = await child.stop();
    expect(status).toEqual({ code: 7, signal: null });
    expect(child.exitStatus()).toEqual({ code: 7, signal: null });
    expect(await child.exited).toEqual({ code: 7, signal: null });
    expect(isAlive(child.pid)).toBe(false);
  });

  it('matches a ready line split across writes and written to stderr', async () => {
    const child = await startProcess(
      ...node(`
        process.stderr.write('Server is re');
        setTimeout(() => process.stderr.write('ady\\n'), 100);
        setInterval(() => {}, 1000);
      `),
      { ready: { line: /^Server is ready$/ } },
    );
    expect(child.stderr()).toContain('Server is ready');
    expect(await child.stop()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('waits until ready.url answers 2xx', async () => {
    const port = await freePort();
    // Answers 503 to the first two requests, like a server still opening its database.
    const server = await startProcess(
      ...node(`
        let seen = 0;
        require('node:http').createServer((req, res) => {
          seen += 1;
          res.statusCode = seen <= 2 ? 503 : 200;
          res.end(String(seen));
        }).listen(${port}, '127.0.0.1');
      `),
      { ready: { url: `http://127.0.0.1:${port}/health` } },
    );
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(await answer.text()).toBe('4');
    await server.stop();
  });

  it('fails with the output when the process never becomes ready, and stops it', async () => {
    const error = await startupError(
      startProcess(
        ...node(`
          console.log('loading plugins');
          console.error('waiting for a lock that never frees');
          setInterval(() => {}, 1000);
        `),
        { ready: { line: /ready/ }, timeoutMs: 700, name: 'stuck-server' },
      ),
    );
    expect(error.code).toBe('startup_failed');
    expect(error.message).toContain('stuck-server');
    expect(error.message).toContain('was not ready after 700 ms');
    expect(error.message).toContain('loading plugins');
    expect(error.message).toContain('waiting for a lock that never frees');
    const pid = Number(/pid (\d+)/.exec(error.message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('fails with the exit code and output when the process exits before it is ready', async () => {
    const error = await startupError(
      startProcess(...node(`console.error('invalid configuration: port'); process.exit(3);`), {
        ready: { line: /ready/ },
      }),
    );
    expect(error.code).toBe('startup_failed');
    expect(error.message).toContain('exited (code 3, signal null) before it was ready');
    expect(error.message).toContain('invalid configuration: port');
  });

  it('fails clearly when the command cannot be spawned', async () => {
    const error = await startupError(startProcess('/nonexistent/bin/server', []));
    expect(error.code).toBe('startup_failed');
    expect(error.message).toContain('/nonexistent/bin/server not found or not executable');
  });

  it('kills the process when the process that started it dies', async () => {
    // A parent that starts a sleeper through the testkit, then is SIGKILLed: no afterAll, no exit hook runs.
    const parent = await startProcess(
      NODE,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `
          import { startProcess } from ${JSON.stringify(TESTKIT_INDEX)};
          const sleeper = await startProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
          console.log('sleeper ' + sleeper.pid);
          setInterval(() => {}, 1000);
        `,
      ],
      { cwd: REPO_ROOT, ready: { line: /^sleeper \d+$/ } },
    );
    const sleeper = Number(/sleeper (\d+)/.exec(parent.stdout())?.[1]);
    expect(isAlive(sleeper)).toBe(true);

    expect(await parent.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const deadline = Date.now() + 5000;
    while (isAlive(sleeper) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isAlive(sleeper)).toBe(false);
  });

  it('escalates to SIGKILL when the process ignores the signal', async () => {
    const child = await startProcess(
      ...node(`
        process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
        console.log('ready');
        setInterval(() => {}, 1000);
      `),
      { ready: { line: /^ready$/ } },
    );
    const started = Date.now();
    expect(await child.stop('SIGTERM', 400)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(child.stdout()).toContain('ignoring SIGTERM');
  });

  it('returns the status of a process that already exited by itself', async () => {
    const child = await startProcess(
      ...node(`console.log('ready'); setTimeout(() => process.exit(5), 50);`),
      {
        ready: { line: /ready/ },
      },
    );
    expect(await child.exited).toEqual({ code: 5, signal: null });
    expect(await child.stop()).toEqual({ code: 5, signal: null });
  });

  it('keeps only the newest output of a chatty process', async () => {
    const child = await startProcess(
      ...node(`process.stdout.write('x'.repeat(100000) + '\\nlast line\\n'); setInterval(() => {}, 1000);`),
      { ready: { line: /^last line$/ }, maxOutputChars: 1000 },
    );
    const kept = child.stdout();
    expect(kept.length).toBeLessThan(1100);
    expect(kept).toMatch(/dropped/);
    expect(kept.endsWith('last line\n')).toBe(true);
    await child.stop();
  });

  it('writes to logFile and shows its tail when startup fails', async () => {
    const logFile = join(tempDir('testkit-log-'), 'server.log');
    const error = await startupError(
      startProcess(
        ...node(`console.log('opened database'); console.error('bind failed'); process.exit(2);`),
        {
          logFile,
          ready: { url: 'http://127.0.0.1:9/never' },
        },
      ),
    );
    expect(error.message).toContain('opened database');
    expect(error.message).toContain('bind failed');
    expect(error.message).toContain(logFile);
  });

  it('refuses ready.line together with logFile', async () => {
    await expect(
      startProcess(NODE, ['-e', ''], { logFile: '/tmp/unused.log', ready: { line: /x/ } }),
    ).rejects.toThrow(/ready.line needs captured output/);
  });
});

describe('stopAll', () => {
  it('stops every process still running', async () => {
    const sleeper = () =>
      startProcess(...node(`console.log('ready'); setInterval(() => {}, 1000);`), {
        ready: { line: /ready/ },
      });
    const first = await sleeper();
    const second = await sleeper();
    expect(runningCount()).toBe(2);

    await stopAll();
    expect(first.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(second.exitStatus()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(isAlive(first.pid)).toBe(false);
    expect(runningCount()).toBe(0);
  });
});
