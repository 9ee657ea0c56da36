// The container image for real (issue 14): built from the repository's Dockerfile on a private dockerd with a
// base made from this machine (no pulls here), run with host networking on loopback, signed in, mounted with
// rclone, stopped with SIGTERM, started again on the same volume; the compose files checked and the single-node
// one brought up on the same engine.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DockerdInstance,
  freePort,
  HOMEPORT_BUNDLE,
  REPO_ROOT,
  requireCommand,
  runRclone,
  startDockerd,
  tempDir,
  until,
  WEB_UI_INDEX,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
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
      `${image.stage.packages.length} npm packages), built in ${(image.buildMs / 1000).toFixed(1)} s`,
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
    expect(config.Entrypoint).toEqual(['node', '/opt/homeport/apps/homeport/dist/homeport.js']);
  });

  it('holds only the packages the bundle loads, its code read-only to the server, nats-server on board', async () => {
    // A throwaway container without network, looking at its own file system.
    const script = `const fs = require('node:fs');
const modules = fs.readdirSync('/opt/homeport/node_modules');
let writable = true;
try { fs.writeFileSync('/opt/homeport/apps/homeport/dist/homeport.js', ''); } catch { writable = false; }
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
      '/opt/homeport/apps/homeport/dist/homeport.js',
      'backup',
      'create',
    ]);
    expect(backup.exitCode, `${backup.stdout}${backup.stderr}`).toBe(0);
    expect(`${backup.stdout}${backup.stderr}`).toContain('/data/backups/');
    const stopped = await stopContainer();
    expect(stopped.exitCode, stopped.logs).toBe(0);
  }, 120_000);
});

describe('the compose files', () => {
  const compose = requireCommand('docker-compose', 'docker-compose');
  const files = {
    single: join(REPO_ROOT, 'deploy/compose.yaml'),
    cluster: join(REPO_ROOT, 'deploy/compose.cluster.yaml'),
  };
  // No deploy/.env of whoever runs the suite: only what each call passes.
  const emptyEnvFile = () => {
    const path = join(tempDir('hp-compose-env-'), 'env');
    writeFileSync(path, '');
    return path;
  };

  function runCompose(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000) {
    return new Promise<{ exitCode: number; output: string }>((resolve, reject) => {
      execFile(
        compose,
        ['--env-file', emptyEnvFile(), ...args],
        { env: { ...process.env, DOCKER_HOST: dockerd.dockerHost, ...env }, timeout: timeoutMs },
        (error, stdout, stderr) => {
          if (error && (error.killed || typeof error.code !== 'number')) reject(error);
          else resolve({ exitCode: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
        },
      );
    });
  }

  it('validates both files with docker-compose config; the cluster one insists on HOMEPORT_SECRET_KEY', async () => {
    const single = await runCompose(['-f', files.single, 'config', '-q']);
    expect(single.exitCode, single.output).toBe(0);
    const withEdge = await runCompose(['-f', files.single, '--profile', 'tls', 'config', '--services']);
    expect(withEdge.output.trim().split('\n').sort()).toEqual(['caddy', 'homeport']);
    const cluster = await runCompose(['-f', files.cluster, 'config', '-q'], {
      HOMEPORT_SECRET_KEY: 'k'.repeat(32),
    });
    expect(cluster.exitCode, cluster.output).toBe(0);
    const services = await runCompose(['-f', files.cluster, 'config', '--services'], {
      HOMEPORT_SECRET_KEY: 'k'.repeat(32),
    });
    expect(services.output.trim().split('\n').sort()).toEqual([
      'caddy',
      'homeport1',
      'homeport2',
      'nats1',
      'nats2',
      'nats3',
    ]);
    const noKey = await runCompose(['-f', files.cluster, 'config', '-q']);
    expect(noKey.exitCode).not.toBe(0);
    expect(noKey.output).toContain('set HOMEPORT_SECRET_KEY');
  });

  it("accepts the Caddyfiles, and the NATS nodes' configuration with certificates from make-certs.sh", async () => {
    const caddy = requireCommand('caddy', 'caddy');
    for (const file of ['Caddyfile', 'Caddyfile.cluster'])
      execFileSync(
        caddy,
        ['adapt', '--adapter', 'caddyfile', '--config', join(REPO_ROOT, 'deploy/compose', file)],
        {
          env: { ...process.env, HOMEPORT_DOMAIN: 'home.example.com' },
          stdio: 'pipe',
        },
      );
    const certs = tempDir('hp-compose-certs-');
    execFileSync('bash', [join(REPO_ROOT, 'deploy/compose/make-certs.sh'), certs], { stdio: 'pipe' });
    const openssl = requireCommand('openssl', 'openssl');
    for (const node of ['nats1', 'nats2', 'nats3']) {
      execFileSync(openssl, ['verify', '-CAfile', join(certs, 'ca.pem'), join(certs, `${node}.pem`)], {
        stdio: 'pipe',
      });
      const text = execFileSync(openssl, ['x509', '-in', join(certs, `${node}.pem`), '-noout', '-text'], {
        encoding: 'utf8',
      });
      expect(text).toContain(`DNS:${node}`);
      expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    }
    // nats-server -t loads the file as compose mounts it (certificates read, cluster and TLS blocks checked).
    // The nats-server of the image built above (Debian's links libc, which homeport-nats:test lacks); as root,
    // as the official nats image runs, since the keys are 0600.
    const check = (certificate: string) =>
      docker.attempt([
        'run',
        '--rm',
        '--network',
        'none',
        '--user',
        '0:0',
        '--env',
        'NATS_SERVER_NAME=nats2',
        '--volume',
        `${join(REPO_ROOT, 'deploy/compose/nats-cluster.conf')}:/etc/nats/nats.conf:ro`,
        '--volume',
        `${join(certs, 'ca.pem')}:/certs/ca.pem:ro`,
        '--volume',
        `${join(certs, certificate)}:/certs/server.pem:ro`,
        '--volume',
        `${join(certs, 'nats2.key')}:/certs/server.key:ro`,
        '--entrypoint',
        '/usr/local/bin/nats-server',
        TAG,
        '--config',
        '/etc/nats/nats.conf',
        '-t',
      ]);
    const good = await check('nats2.pem');
    expect(good.exitCode, `${good.stdout}${good.stderr}`).toBe(0);
    // The same check fails when the key does not match the certificate: it reads them.
    expect((await check('nats1.pem')).exitCode).not.toBe(0);
  });

  it('brings the single node up (host networking on loopback), mounts its files and stops it cleanly', async () => {
    const port = await freePort();
    const davPort = await freePort();
    const project = 'homeport-compose-test';
    // The file as shipped, but with host networking for every service instead of its published ports: its bridge
    // network would be a new interface on this machine with private-range addresses. docker-compose v1 cannot
    // drop `ports` in an override file, so the test writes the changed copy and keeps deploy/ as the project
    // folder (the relative paths in the file resolve there). No network is created.
    const shipped = parse(readFileSync(files.single, 'utf8')) as {
      services: Record<
        string,
        { ports?: string[]; network_mode?: string; environment?: Record<string, string | null> }
      >;
    };
    for (const service of Object.values(shipped.services)) {
      delete service.ports;
      service.network_mode = 'host';
    }
    const homeport = shipped.services.homeport;
    if (!homeport?.environment)
      throw new Error('deploy/compose.yaml: no homeport service with an environment');
    Object.assign(homeport.environment, {
      HOMEPORT_BIND: '127.0.0.1',
      HOMEPORT_PORT: String(port),
      HOMEPORT_DAV_PORT: String(davPort),
    });
    const derived = join(tempDir('hp-compose-host-'), 'compose.yaml');
    writeFileSync(derived, stringify(shipped));
    const env = {
      HOMEPORT_IMAGE: TAG,
      HOMEPORT_PUBLIC_URL: `http://127.0.0.1:${port}`,
      HOMEPORT_DAV_URL: `http://127.0.0.1:${davPort}`,
      HOMEPORT_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
    const args = ['-p', project, '--project-directory', join(REPO_ROOT, 'deploy'), '-f', derived];
    const up = await runCompose([...args, 'up', '--detach', '--no-build'], env);
    expect(up.exitCode, up.output).toBe(0);
    try {
      expect(await docker.run(['network', 'ls', '--format', '{{.Name}}'])).not.toContain(project);
      const url = `http://127.0.0.1:${port}`;
      await until(
        () =>
          fetch(`${url}/ready`).then(
            (r) => r.status === 200,
            () => false,
          ),
        60_000,
        200,
      );
      const token = await signIn(url, 'admin', ADMIN_PASSWORD);
      const files = await until(
        async () =>
          (await api<ExportBody[]>(url, '/api/v1/exports', token)).body.find((e) => e.label === 'Files'),
        20_000,
      );
      const issued = await api<MountProfileBody>(url, '/api/v1/mount-profiles/issue', token, {
        method: 'POST',
        body: { exportId: files.id },
      });
      // HOMEPORT_DAV_URL reached the agent as its advertised address.
      expect(issued.body.mountUrl.startsWith(`http://127.0.0.1:${davPort}/`)).toBe(true);
      const remote = {
        url: issued.body.mountUrl,
        user: issued.body.credential.username,
        password: issued.body.credential.password,
      };
      const local = tempDir('hp-compose-upload-');
      writeFileSync(join(local, 'note.txt'), 'through compose\n');
      const copied = await runRclone(remote, ['copy', local, 'dav:compose']);
      expect(copied.exitCode, copied.stderr).toBe(0);
      expect((await runRclone(remote, ['cat', 'dav:compose/note.txt'])).stdout).toBe('through compose\n');

      const stop = await runCompose([...args, 'stop'], env);
      expect(stop.exitCode, stop.output).toBe(0);
      const container = `${project}_homeport_1`;
      const state = await inspectContainer<{ ExitCode: number }>(container, '.State');
      const logs = await docker.attempt(['logs', container]);
      expect(state.ExitCode, logs.stdout + logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/"pid":1,"msg":"stopped"/);
    } finally {
      await runCompose([...args, 'down', '--volumes'], env);
    }
  }, 180_000);
});
