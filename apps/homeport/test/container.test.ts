// The container image for real (issue 14): built from the repository's Dockerfile on a private dockerd with a
// base made from this machine (no pulls here), run with host networking on loopback, signed in, mounted with
// rclone, stopped with SIGTERM, started again on the same volume. The compose files: container-compose.test.ts.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DockerdInstance,
  freePort,
  HOMEPORT_BUNDLE,
  runRclone,
  startDockerd,
  tempDir,
  until,
  WEB_UI_INDEX,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltImage, buildHomeportImage, type DockerCli, dockerCli } from './support/container-image.js';
import { api, type ExportBody, type MountProfileBody, signIn } from './support/nas.js';

const TAG = 'homeport:container-test';
const ADMIN_PASSWORD = 'container-test-admin-password-0123';
let dockerd: DockerdInstance;
let docker: DockerCli;
let image: BuiltImage;

beforeAll(async () => {
  for (const built of [HOMEPORT_BUNDLE, WEB_UI_INDEX])
    if (!existsSync(built)) throw new Error(`${built} is missing: npm run build first`);
  dockerd = await startDockerd();
  docker = dockerCli(dockerd);
  image = await buildHomeportImage(docker, TAG);
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  // The figure docs/install.md quotes.
  console.log(
    `container image ${TAG}: ${mib(image.size)} (base ${mib(image.baseSize)}, Homeport ${mib(image.size - image.baseSize)}: ` +
      `${image.packages} npm packages), built in ${(image.buildMs / 1000).toFixed(1)} s`,
  );
}, 300_000);

afterAll(async () => {
  await dockerd?.stop();
});

interface ImageConfig {
  User: string;
  Env: string[];
  ExposedPorts: Record<string, unknown>;
  Volumes: Record<string, unknown>;
  StopSignal: string;
  Healthcheck: { Test: string[] };
  Labels: Record<string, string>;
  Entrypoint: string[];
}

async function inspectContainer<T>(name: string, format: string): Promise<T> {
  return JSON.parse(await docker.run(['inspect', '--format', `{{json ${format}}}`, name])) as T;
}

describe('the image', () => {
  it('runs as a non-root user with /data as its volume, a health check on /ready, SIGTERM and labels', async () => {
    const config = JSON.parse(
      await docker.run(['image', 'inspect', '--format', '{{json .Config}}', TAG]),
    ) as ImageConfig;
    expect(config.User).toBe('10001:10001');
    expect(Object.keys(config.Volumes)).toEqual(['/data']);
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['8080/tcp', '8090/tcp']);
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Healthcheck.Test).toEqual(['CMD', 'node', '/opt/homeport/healthcheck.mjs']);
    expect(config.Env).toEqual(expect.arrayContaining(['HOMEPORT_DATA_DIR=/data', 'HOMEPORT_BIND=0.0.0.0']));
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'Homeport',
      'org.opencontainers.image.version': 'test',
    });
    expect(config.Entrypoint).toEqual(['node', '/opt/homeport/dist/homeport.js']);
  });

  it('holds only the packages the bundle loads, its code read-only to the server, nats-server on board', async () => {
    // A throwaway container without network, looking at its own file system.
    const script = `const fs = require('node:fs');
const modules = fs.readdirSync('/opt/homeport/node_modules');
let writable = true;
try { fs.writeFileSync('/opt/homeport/dist/homeport.js', ''); } catch { writable = false; }
console.log(JSON.stringify({ modules, writable, uid: process.getuid(), nats: fs.existsSync('/usr/local/bin/nats-server'),
  data: fs.statSync('/data').uid }));`;
    const output = await docker.run([
      'run',
      '--rm',
      '--network',
      'none',
      '--entrypoint',
      'node',
      TAG,
      '-e',
      script,
    ]);
    const seen = JSON.parse(output) as {
      modules: string[];
      writable: boolean;
      uid: number;
      nats: boolean;
      data: number;
    };
    expect(seen).toMatchObject({ writable: false, uid: 10001, nats: true, data: 10001 });
    expect(seen.modules).toEqual(
      expect.arrayContaining(['better-sqlite3', 'fastify', 'pino', '@node-rs', 'dockerode']),
    );
    // Build tools, test tools and the inlined packages stay out.
    for (const absent of [
      'typescript',
      'vitest',
      'esbuild',
      'tsx',
      'playwright-core',
      '@homeport',
      'typebox',
      'openid-client',
      'prebuild-install',
    ])
      expect(seen.modules).not.toContain(absent);
  });

  it('refuses to serve plain HTTP on its default 0.0.0.0 bind without TLS or --insecure-public', async () => {
    // No network: the refusal comes before any listen, and nothing could be reached if it did not.
    const refused = await docker.attempt(['run', '--rm', '--network', 'none', TAG], { timeoutMs: 60_000 });
    expect(refused.exitCode).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/insecure-public|TLS/i);
  });
});

describe('a container on loopback', () => {
  const name = 'homeport-container-test';
  const volume = 'homeport-container-test-data';
  let url: string;
  let ports: { port: number; davPort: number } | undefined;

  // The same ports on the restart, as a container started again with its own settings: the node's WebDAV
  // address is stored, and a mount issued before the agent re-registers would name the old one.
  async function runContainer(): Promise<void> {
    ports ??= { port: await freePort(), davPort: await freePort() };
    const { port, davPort } = ports;
    url = `http://127.0.0.1:${port}`;
    await docker.run([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--volume',
      `${volume}:/data`,
      // The image's own check, run every second instead of every 30 s.
      '--health-interval',
      '1s',
      '--health-start-period',
      '0s',
      '--env',
      'HOMEPORT_BIND=127.0.0.1',
      '--env',
      `HOMEPORT_PORT=${port}`,
      '--env',
      `HOMEPORT_DAV_PORT=${davPort}`,
      '--env',
      `HOMEPORT_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      TAG,
    ]);
    await until(
      async () => {
        const state = await inspectContainer<{ Running: boolean; ExitCode: number }>(name, '.State');
        if (!state.Running) throw new Error(`container exited ${state.ExitCode}:\n${await logs()}`);
        return fetch(`${url}/ready`).then(
          (response) => response.status === 200,
          () => false,
        );
      },
      60_000,
      200,
    );
  }

  async function logs(): Promise<string> {
    const result = await docker.attempt(['logs', name]);
    return `${result.stdout}${result.stderr}`;
  }

  async function stopContainer(): Promise<{ exitCode: number; logs: string }> {
    await docker.run(['stop', '--time', '30', name], { timeoutMs: 60_000 });
    const state = await inspectContainer<{ ExitCode: number }>(name, '.State');
    return { exitCode: state.ExitCode, logs: await logs() };
  }

  async function filesMount(token: string): Promise<MountProfileBody> {
    const files = await until(async () => {
      const exports = (await api<ExportBody[]>(url, '/api/v1/exports', token)).body;
      return exports.find((item) => item.label === 'Files');
    }, 20_000);
    const issued = await api<MountProfileBody>(url, '/api/v1/mount-profiles/issue', token, {
      method: 'POST',
      body: { exportId: files.id },
    });
    expect(issued.status).toBe(200);
    return issued.body;
  }

  it('starts, turns healthy, signs in, and takes files over WebDAV with rclone', async () => {
    await runContainer();
    await until(
      async () => (await inspectContainer<{ Status: string }>(name, '.State.Health')).Status === 'healthy',
      30_000,
      250,
    );
    const token = await signIn(url, 'admin', ADMIN_PASSWORD);
    const profile = await filesMount(token);
    expect(profile.mountUrl.startsWith('http://127.0.0.1:')).toBe(true);

    const local = join(tempDir('hp-container-upload-'), 'photos');
    mkdirSync(local);
    writeFileSync(join(local, 'a.txt'), 'from the host\n');
    writeFileSync(join(local, 'b.bin'), Buffer.alloc(3 * 2 ** 20, 9));
    const remote = {
      url: profile.mountUrl,
      user: profile.credential.username,
      password: profile.credential.password,
    };
    const copied = await runRclone(remote, ['copy', local, 'dav:photos']);
    expect(copied.exitCode, copied.stderr).toBe(0);
    const listed = await runRclone(remote, ['lsf', '--format', 'ps', 'dav:photos']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean).sort()).toEqual(['a.txt;14', `b.bin;${3 * 2 ** 20}`]);
    const read = await runRclone(remote, ['cat', 'dav:photos/a.txt']);
    expect(read.stdout).toBe('from the host\n');
  }, 120_000);

  it('stops cleanly on SIGTERM (docker stop): exit code 0 and the shutdown line', async () => {
    const stopped = await stopContainer();
    expect(stopped.exitCode, stopped.logs).toBe(0);
    expect(stopped.logs).toContain('"msg":"shutting down"');
    expect(stopped.logs).toContain('"reason":"SIGTERM"');
    expect(stopped.logs).toMatch(/"pid":1,"msg":"stopped"/);
  }, 60_000);

  it('keeps accounts and files in the /data volume across a restart, and backs up from inside', async () => {
    await docker.run(['rm', name]);
    await runContainer();
    const token = await signIn(url, 'admin', ADMIN_PASSWORD);
    const profile = await filesMount(token);
    const remote = {
      url: profile.mountUrl,
      user: profile.credential.username,
      password: profile.credential.password,
    };
    const read = await runRclone(remote, ['cat', 'dav:photos/a.txt']);
    expect(read.exitCode, read.stderr).toBe(0);
    expect(read.stdout).toBe('from the host\n');
    // The backup command docs/install.md gives, run beside the server (HOMEPORT_DATA_DIR=/data from the image).
    const backup = await docker.attempt([
      'exec',
      name,
      'node',
      '/opt/homeport/dist/homeport.js',
      'backup',
      'create',
    ]);
    expect(backup.exitCode, `${backup.stdout}${backup.stderr}`).toBe(0);
    expect(`${backup.stdout}${backup.stderr}`).toContain('/data/backups/');
    const stopped = await stopContainer();
    expect(stopped.exitCode, stopped.logs).toBe(0);
  }, 120_000);
});
