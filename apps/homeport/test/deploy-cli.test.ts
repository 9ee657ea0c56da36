// `homeport deploy …` against a real Homeport (the built bundle) on a private dockerd and registry, signed in
// with an admin's API token: import a YAML file, list, deploy with --wait (log lines, exit 0), a failing
// deploy exits 1, rollback, export without and with secrets, and an admin token is never sent in clear.

import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  type DockerdInstance,
  HOMEPORT_BUNDLE,
  type HomeportInstance,
  pushTestImage,
  type RegistryInstance,
  startDockerd,
  startHomeport,
  startRegistry,
  tempDir,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dockerd: DockerdInstance;
let registry: RegistryInstance;
let server: HomeportInstance;
let token: string;
const work = tempDir('homeport-deploy-cli-');

function homeport(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [HOMEPORT_BUNDLE, 'deploy', ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOMEPORT_URL: server.url, HOMEPORT_TOKEN: token, ...env },
        timeout: 120_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function viaProxy(host: string): Promise<string> {
  const health = (await (await fetch(`${server.url}/health`)).json()) as { deploy: { proxyPort: number } };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: health.deploy.proxyPort, path: '/', headers: { host }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  server = await startHomeport({
    env: { HOMEPORT_DOCKER_HOST: dockerd.dockerHost, HOMEPORT_DEPLOY_QUEUE_POLL: '200ms' },
  });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: server.adminPassword }),
  });
  const session = ((await login.json()) as { token: string }).token;
  const created = await fetch(`${server.url}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
    body: JSON.stringify({ name: 'cli' }),
  });
  token = ((await created.json()) as { value: string }).value;
}, 120_000);

afterAll(async () => {
  await server?.process.stop();
  await Promise.all([dockerd?.stop(), registry?.stop()]);
}, 60_000);

describe('homeport deploy', () => {
  it('imports a configuration, deploys with --wait, lists, rolls back and exports', async () => {
    const image = `${registry.host}/cli/web`;
    const v1 = await pushTestImage(registry, { repository: 'cli/web', tag: 'v1', version: 'cli-v1' });
    await pushTestImage(registry, { repository: 'cli/web', tag: 'v2', version: 'cli-v2' });
    await pushTestImage(registry, { repository: 'cli/web', tag: 'v3', version: 'cli-v3', variant: 'crash' });
    const file = join(work, 'deploy.yaml');
    writeFileSync(
      file,
      `version: 1
projects:
  - name: cli
    stages:
      - name: production
        config:
          image: ${image}
          host: cli.test
          env:
            - { name: API_KEY, value: cli-secret-value-93ab, secret: true }
          health: { path: /health, intervalMs: 100, healthyThreshold: 2 }
          deployTimeoutMs: 15000
          watchMs: 500
          drainTimeoutMs: 1000
          stopTimeoutMs: 2000
`,
    );
    const imported = await homeport(['import', file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('stage cli/production: created');

    const first = await homeport(['deploy', 'cli', 'production', '--tag', 'v1', '--wait']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toMatch(/queued deploy #1/);
    expect(first.stdout).toMatch(/health: healthy after/);
    expect(first.stdout).toMatch(/deploy #1 succeeded/);
    expect(await viaProxy('cli.test')).toContain('cli-v1');

    expect((await homeport(['deploy', 'cli', 'production', '--tag', 'v2', '--wait'])).code).toBe(0);
    const failing = await homeport(['deploy', 'cli', 'production', '--tag', 'v3', '--wait']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/deploy #3 failed at health: the container exited/);
    expect(await viaProxy('cli.test')).toContain('cli-v2');

    const list = await homeport(['list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/production\s+r2 v2 sha256:\S+ green running/);

    const back = await homeport(['rollback', 'cli', 'production', '--digest', v1.digest, '--wait']);
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(await viaProxy('cli.test')).toContain('cli-v1');

    const plain = await homeport(['export']);
    expect(plain.stdout).toContain('API_KEY');
    expect(plain.stdout).not.toContain('cli-secret-value-93ab');
    const out = join(work, 'with-secrets.yaml');
    writeFileSync(out, 'an older export, world-readable\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    expect((await homeport(['export', '--secrets', '--to', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('cli-secret-value-93ab');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  }, 240_000);

  it('says what is wrong: no token, a refused call, a token that would travel in clear', async () => {
    const noToken = await homeport(['list'], { HOMEPORT_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/admin API token is needed/);
    const refused = await homeport(['deploy', 'cli', 'nope', '--tag', 'v1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/404 deploy_not_found: no stage nope/);
    const clear = await homeport(['list', '--url', 'http://homeport.example.com']);
    expect(clear.code).toBe(1);
    expect(clear.stderr).toMatch(/use https:\/\//);
  }, 60_000);
});
