// startHomeport runs the built bundle for real: health, the generated admin password, clean stop, and the
// errors a developer sees when the bundle is missing or the server refuses to start.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, startHomeport, stopAll, TestkitError } from '../src/index.js';

afterAll(async () => {
  await stopAll();
  removeTempDirs();
});

async function login(url: string, password: string): Promise<Response> {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
}

describe('startHomeport', () => {
  it('starts the bundle on a loopback port with a data dir and a working admin password', async () => {
    const homeport = await startHomeport();
    expect(homeport.url).toBe(`http://127.0.0.1:${homeport.port}`);
    const health = (await (await fetch(`${homeport.url}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    expect(existsSync(homeport.dataDir)).toBe(true);
    expect(homeport.adminPassword.length).toBeGreaterThanOrEqual(24);

    const good = await login(homeport.url, homeport.adminPassword);
    expect(good.status).toBe(200);
    // The API's login answer: a bearer token for the admin.
    const body = (await good.json()) as { token: string; user: { username: string } };
    expect(body.user.username).toBe('admin');
    const me = await fetch(`${homeport.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${body.token}` },
    });
    expect(me.status).toBe(200);

    expect((await login(homeport.url, `${homeport.adminPassword}x`)).status).toBe(401);

    // SIGTERM is Homeport's graceful shutdown: it exits 0.
    expect(await homeport.process.stop()).toEqual({ code: 0, signal: null });
  });

  it('tells to run npm run build when the bundle is missing', async () => {
    const error = await startHomeport({ bundle: join('/nonexistent', 'homeport.js') }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TestkitError);
    // Checked just above.
    expect((error as TestkitError).code).toBe('missing_build');
    expect((error as TestkitError).message).toContain('npm run build');
  });

  it('reports the server output when Homeport refuses to start', async () => {
    const error = await startHomeport({ env: { HOMEPORT_LOG_LEVEL: 'loud' } }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TestkitError);
    // Checked just above.
    const message = (error as TestkitError).message;
    expect(message).toMatch(/exited \(code [1-9]\d*, signal null\) before it was ready/);
    expect(message).toContain('HOMEPORT_LOG_LEVEL');
  });
});
