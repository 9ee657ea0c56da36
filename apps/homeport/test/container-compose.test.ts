// The compose files (issue 14): both validated with docker-compose, their Caddyfiles with caddy, the cluster's
// NATS configuration with nats-server and make-certs.sh's certificates; the single-node file brought up on a
// private dockerd with the image built from the repository's Dockerfile (see container-image.ts).

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
import { buildHomeportImage, type DockerCli, dockerCli } from './support/container-image.js';
import { api, type ExportBody, type MountProfileBody, signIn } from './support/nas.js';

const TAG = 'homeport:compose-test';
const ADMIN_PASSWORD = 'compose-test-admin-password-0123';
let dockerd: DockerdInstance;
let docker: DockerCli;

beforeAll(async () => {
  for (const built of [HOMEPORT_BUNDLE, WEB_UI_INDEX])
    if (!existsSync(built)) throw new Error(`${built} is missing: npm run build first`);
  dockerd = await startDockerd();
  docker = dockerCli(dockerd);
  await buildHomeportImage(docker, TAG);
}, 300_000);

afterAll(async () => {
  await dockerd?.stop();
});

async function inspectContainer<T>(name: string, format: string): Promise<T> {
  return JSON.parse(await docker.run(['inspect', '--format', `{{json ${format}}}`, name])) as T;
}

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
      const container = `${project}_homeport_1`;
      await until(
        async () => {
          const state = await inspectContainer<{ Running: boolean; ExitCode: number }>(container, '.State');
          if (!state.Running) throw new Error(`${container} exited ${state.ExitCode}`);
          return fetch(`${url}/ready`).then(
            (r) => r.status === 200,
            () => false,
          );
        },
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
      const state = await inspectContainer<{ ExitCode: number }>(container, '.State');
      const logs = await docker.attempt(['logs', container]);
      expect(state.ExitCode, logs.stdout + logs.stderr).toBe(0);
      expect(logs.stdout).toMatch(/"pid":1,"msg":"stopped"/);
    } finally {
      await runCompose([...args, 'down', '--volumes'], env);
    }
  }, 180_000);
});
