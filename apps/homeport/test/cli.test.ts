// The built `homeport` command: help, user management on the local database, configuration errors,
// the bind guard, and SIGTERM on a running server (real processes from the testkit).

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { freePort, HOMEPORT_BUNDLE, startHomeport, tempDir } from '@homeport/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openRaw } from './support/raw-http.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function homeport(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, ...args],
      { env: { PATH: process.env.PATH ?? '', ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A TCP server holding a free loopback port, as another program would. */
async function holdPort(): Promise<Server> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return blocker;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dataDir = tempDir('homeport-cli-');
const store = ['--data-dir', dataDir];

describe('homeport --help', () => {
  it('lists the commands with examples', async () => {
    const help = await homeport(['--help']);
    expect(help.code).toBe(0);
    for (const text of ['start', 'user', 'config', 'Examples:', 'homeport user add alice --role admin'])
      expect(help.stdout).toContain(text);
    expect((await homeport(['start', '--help'])).stdout).toContain('--insecure-public');
    expect((await homeport(['user', '--help'])).stdout).toContain('homeport user reset-password bob');
  });
});

describe('homeport user', () => {
  it('adds, lists, promotes, disables, enables and resets passwords on the local database', async () => {
    const added = await homeport(['user', 'add', 'alice', ...store]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/created alice \(member/);
    expect(added.stdout).toMatch(/password for alice: [A-Za-z0-9_-]{24}/);

    const withStdin = await homeport(
      ['user', 'add', 'bob', '--role', 'admin', '--password-stdin', ...store],
      { input: 'bobs-password-1\n' },
    );
    expect(withStdin.code).toBe(0);
    expect(withStdin.stdout).not.toContain('bobs-password-1');

    expect((await homeport(['user', 'set-role', 'alice', 'admin', ...store])).stdout).toContain(
      'alice: role admin, status active',
    );
    expect((await homeport(['user', 'disable', 'ALICE', ...store])).stdout).toContain('status disabled');
    expect((await homeport(['user', 'enable', 'alice', ...store])).stdout).toContain('status active');
    const reset = await homeport(['user', 'reset-password', 'alice', '--password-stdin', ...store], {
      input: 'new-alice-password',
    });
    expect(reset.stdout).toContain('password of alice changed');

    const list = await homeport(['user', 'list', '--json', ...store]);
    const users = JSON.parse(list.stdout) as { username: string; role: string; status: string }[];
    expect(users.map(({ username, role, status }) => ({ username, role, status }))).toEqual([
      { username: 'alice', role: 'admin', status: 'active' },
      { username: 'bob', role: 'admin', status: 'active' },
    ]);
  }, 60_000); // eleven CLI processes, each loading the whole bundle: on a loaded 2-core machine 30 s was too tight

  it('explains failures and exits non-zero', async () => {
    const missing = await homeport(['user', 'disable', 'nobody', ...store]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No user "nobody"');
    const taken = await homeport(['user', 'add', 'Alice', ...store]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('taken');
    const badRole = await homeport(['user', 'add', 'carol', '--role', 'root', ...store]);
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toContain('role must be admin or member');
    const short = await homeport(['user', 'add', 'dave', '--password-stdin', ...store], { input: 'short' });
    expect(short.stderr).toContain('at least 8'); // bytes or characters: the rule's wording is the accounts package's
  });
});

describe('homeport start refuses bad configuration', () => {
  it('prints one line per problem and exits 2', async () => {
    const run = await homeport(['start', '--port', 'eighty', ...store], {
      env: { HOMEPORT_SESSION_TTL: 'forever', HOMEPORT_LOG_LEVEL: 'loud' },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--port: must be a whole number, got "eighty"');
    expect(run.stderr).toContain('HOMEPORT_SESSION_TTL: must be a duration');
    expect(run.stderr).toContain('HOMEPORT_LOG_LEVEL: must be one of');
  });

  it('refuses a non-loopback bind without TLS and says what to do', async () => {
    const run = await homeport(['start', '--bind', '0.0.0.0', ...store]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to serve plain HTTP on a non-loopback address');
    expect(run.stderr).toContain('--insecure-public');
    expect(run.stderr).toContain('--tls-cert');
  });

  it('says which setting to change when the embedded agent’s port is taken, before creating anything', async () => {
    const blocker = await holdPort();
    const busy = (blocker.address() as AddressInfo).port;
    const fresh = tempDir('homeport-busy-dav-');
    try {
      const run = await homeport(['start', '--port', String(await freePort()), '--data-dir', fresh], {
        env: { HOMEPORT_DAV_PORT: String(busy), HOMEPORT_ADMIN_PASSWORD: 'busy-port-admin' },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`HOMEPORT_DAV_PORT (--dav-port): port ${busy} is in use`);
      expect(run.stderr).toContain('HOMEPORT_EMBEDDED_AGENT=false');
      expect(existsSync(join(fresh, 'homeport.db'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('refuses a busy web port in one line before creating the database, the admin or any secret', async () => {
    const blocker = await holdPort();
    const busy = (blocker.address() as AddressInfo).port;
    const fresh = tempDir('homeport-busy-web-');
    try {
      const run = await homeport(['start', '--port', String(busy), '--data-dir', fresh], {
        env: { HOMEPORT_DAV_PORT: String(await freePort()) },
      });
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([
        `homeport: --port (HOMEPORT_PORT): port ${busy} is in use on 127.0.0.1 (is Homeport already running?); stop the other process, or pick another port (--port 0 picks a free one)`,
      ]);
      expect(run.stdout + run.stderr).not.toMatch(/password|EADDRINUSE|\n\s+at /);
      expect(existsSync(join(fresh, 'homeport.db'))).toBe(false);
      expect(existsSync(join(fresh, 'secrets'))).toBe(false);

      // Once an earlier start created the admin, the line says how to get back in.
      const created = await homeport(['user', 'list', '--data-dir', fresh]);
      expect(created.code).toBe(0);
      const again = await homeport(['start', '--port', String(busy), '--data-dir', fresh], {
        env: { HOMEPORT_DAV_PORT: String(await freePort()) },
      });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('homeport user reset-password admin');
    } finally {
      blocker.close();
    }
  });

  it('refuses, in one line, a database a newer Homeport migrated, and changes nothing', async () => {
    const fresh = tempDir('homeport-newer-db-');
    expect((await homeport(['user', 'list', '--data-dir', fresh])).code).toBe(0);
    const db = openDatabase(join(fresh, 'homeport.db'));
    db.prepare(
      "INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ('accounts', 999, 'from the future', '2027-01-01T00:00:00Z')",
    ).run();
    const before = db.prepare('SELECT * FROM schema_migrations ORDER BY module, version').all();
    db.close();
    for (const args of [
      ['start', '--port', '0', '--data-dir', fresh],
      ['user', 'list', '--data-dir', fresh],
    ]) {
      const run = await homeport(args, { env: { HOMEPORT_DAV_PORT: String(await freePort()) } });
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([
        'homeport: The database was written by a newer Homeport: its accounts schema is at version 999 ("from the future"), this binary knows up to ' +
          `${run.stderr.match(/knows up to (\d+)/)?.[1]}. Run the newer version, or restore the backup taken before the upgrade (docs/operations.md, "Rolling back").`,
      ]);
    }
    const after = openDatabase(join(fresh, 'homeport.db'));
    expect(after.prepare('SELECT * FROM schema_migrations ORDER BY module, version').all()).toEqual(before);
    after.close();
  });

  it('writes out the log lines of a start that fails after logging (nothing lost to process.exit)', async () => {
    const run = await homeport(
      ['start', '--port', String(await freePort()), '--data-dir', tempDir('homeport-fatal-')],
      {
        env: {
          HOMEPORT_DAV_PORT: String(await freePort()),
          HOMEPORT_ADMIN_PASSWORD: 'fatal-start-admin',
          // The embedded agent fails after the server listened and logged.
          HOMEPORT_EXPORTS: '/nonexistent/homeport-export',
        },
      },
    );
    // A configuration error (exit 2), reported in one line, after the lines logged before it.
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--export (HOMEPORT_EXPORTS): /nonexistent/homeport-export does not exist');
    expect(run.stdout).toContain('"msg":"created the admin account from HOMEPORT_ADMIN_PASSWORD"');
    expect(run.stdout).toContain('"msg":"shutting down"');
  });

  it('refuses a non-loopback agent --listen without TLS, naming the flag', async () => {
    const run = await homeport([
      'agent',
      '--control-plane',
      'http://127.0.0.1:9',
      '--export',
      dataDir,
      '--listen',
      // Refused before any bind, so no port is taken (0 would pick a free one anyway).
      '0.0.0.0:0',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--listen 0.0.0.0: refusing to serve plain HTTP');
  });

  it('prints the configuration reference', async () => {
    const run = await homeport(['config', 'reference']);
    expect(run.stdout).toContain('`HOMEPORT_SESSION_TTL`<br>`BETTERNAS_SESSION_TTL`');
    expect(run.stdout).toContain('`--data-dir`');
  });
});

describe('homeport start', () => {
  const running: { stop: () => Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const process of running) await process.stop();
  });

  it('prints where it listens, where data lives and which modules run, and exits 0 on SIGTERM', async () => {
    const server = await startHomeport();
    running.push(server.process);
    expect(server.process.stdout()).toContain(`listening on ${server.url}`);
    expect(server.process.stdout()).toContain(`data:     ${server.dataDir}`);
    expect(server.process.stdout()).toContain('modules:  accounts');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('nodejs_eventloop_lag_seconds');
    expect(metrics).toContain('process_resident_memory_bytes');
    const status = await server.process.stop('SIGTERM');
    expect(status.code).toBe(0);
    expect(server.process.stdout()).toContain('"msg":"stopped"');
  });

  it('still stops on SIGTERM after whoever read its output went away (EPIPE)', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [HOMEPORT_BUNDLE, 'start', '--port', String(port), '--data-dir', tempDir('homeport-epipe-')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH ?? '',
          HOMEPORT_ADMIN_PASSWORD: 'epipe-admin-password',
          // Every port from the test: a Homeport running on the defaults must not change the outcome.
          HOMEPORT_DAV_PORT: String(await freePort()),
        },
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const healthy = async () =>
      (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200;
    try {
      // Up and answering, or exited: a start that fails must fail the test with its reason, not time out.
      await until(async () => child.exitCode !== null || (await healthy()));
      expect({ exitCode: child.exitCode, stderr }).toEqual({ exitCode: null, stderr: '' });
      child.stdout?.destroy(); // the reader goes away: the server's next write hits EPIPE
      child.kill('SIGTERM');
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(() => resolve('hung'), 8000)),
      ]);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  /**
   * A request whose body never finishes keeps the graceful drain waiting. `Expect: 100-continue` makes the
   * server answer once it has parsed the headers, so the request is surely in flight before the signal.
   */
  async function stuckRequest(port: number) {
    const raw = await openRaw(
      port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    );
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        if (chunk.toString('latin1').includes('100 Continue')) {
          raw.socket.off('data', onData);
          resolve();
        }
      };
      raw.socket.on('data', onData);
    });
    raw.socket.write('{');
    return raw;
  }

  it('a second signal exits at once while the drain waits', async () => {
    const server = await startHomeport();
    running.push(server.process);
    const stuck = await stuckRequest(server.port);
    process.kill(server.process.pid, 'SIGTERM');
    // The first signal was taken (the drain started) and the stuck request holds the process open.
    await vi.waitFor(() => expect(server.process.stdout()).toContain('shutting down'), { timeout: 5_000 });
    expect(server.process.exitStatus()).toBeUndefined();
    process.kill(server.process.pid, 'SIGINT');
    const status = await server.process.exited;
    expect(status.code).toBe(1);
    expect(server.process.stdout()).toContain('second signal');
    stuck.socket.destroy();
  });

  it('exits within HOMEPORT_SHUTDOWN_TIMEOUT when in-flight work does not finish', async () => {
    const server = await startHomeport({ env: { HOMEPORT_SHUTDOWN_TIMEOUT: '1s' } });
    running.push(server.process);
    const stuck = await stuckRequest(server.port);
    const started = Date.now();
    process.kill(server.process.pid, 'SIGTERM');
    const status = await server.process.exited;
    expect(status.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.process.stdout()).toContain('shutdown took too long');
    stuck.socket.destroy();
  });
});
