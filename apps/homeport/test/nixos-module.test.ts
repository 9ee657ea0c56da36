// deploy/nixos (issue 14): Nix parses the module and the package; the module, evaluated with a stand-in for
// nixpkgs' lib (support/nixos-eval.nix: nixpkgs cannot be fetched here), gives the units, the config file and
// the nginx virtual host it should; systemd accepts the units as NixOS would write them; and the start
// commands they hold run Homeport and its agent for real — secrets read from credential files, every setting
// from the generated config file (an unknown key would stop Homeport).

import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  freePort,
  type ManagedProcess,
  REPO_ROOT,
  requireCommand,
  startProcess,
  stopAll,
  tempDir,
  until,
} from '@homeport/testkit';
import { afterAll, describe, expect, it } from 'vitest';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (command: string, args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(command, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

const MODULE = join(REPO_ROOT, 'deploy/nixos/homeport.nix');
const PACKAGE = join(REPO_ROOT, 'deploy/nixos/package.nix');
const HARNESS = new URL('./support/nixos-eval.nix', import.meta.url).pathname;

type Value = string | number | boolean | Value[] | { [key: string]: Value };
interface Unit {
  description: string;
  after: string[];
  wants: string[];
  wantedBy: string[];
  environment: Record<string, string>;
  serviceConfig: Record<string, Value>;
}
interface Evaluation {
  failedAssertions: string[];
  settings: Record<string, Value>;
  agentSettings: Record<string, Value>;
  services: Record<string, Unit>;
  tmpfiles: string[];
  users: { users: Record<string, { isSystemUser: boolean; group: string }>; groups: Record<string, unknown> };
  nginx: { enable: boolean; virtualHosts: Record<string, Record<string, Value>> } | null;
  systemPackages: string[];
}

/** The node of this test run as the `nodejs` package: `<prefix>/bin/node`. */
const NODEJS = dirname(dirname(process.execPath));

/**
 * The module evaluated with `config`; the files it writes to the store land in `outDir` (the YAML config and
 * start scripts, executable), as nixos-eval.nix reports them.
 */
async function evaluate(config: unknown, outDir: string, natsServer = '/nonexistent'): Promise<Evaluation> {
  const nix = requireCommand('nix-instantiate', 'nix-bin');
  const result = await run(nix, [
    '--eval',
    '--strict',
    '--json',
    HARNESS,
    '--argstr',
    'configJson',
    JSON.stringify(config),
    '--argstr',
    'outDir',
    outDir,
    '--argstr',
    'nodejs',
    NODEJS,
    '--argstr',
    'natsServer',
    natsServer,
  ]);
  expect(result.code, result.stderr).toBe(0);
  // Earlier passes may trace a file too: the last report of each path is the final one.
  const files = new Map<string, string>();
  for (const line of result.stderr.split('\n')) {
    const match = /^trace: homeport-file (\{.*\})$/.exec(line);
    if (match?.[1]) {
      const { path, text } = JSON.parse(match[1]) as { path: string; text: string };
      files.set(path, text);
    }
  }
  for (const [path, text] of files) {
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  }
  return JSON.parse(result.stdout) as Evaluation;
}

/** A unit as NixOS writes one: lists as repeated keys, booleans as true/false. */
function renderUnit(unit: Unit): string {
  const lines = (key: string, value: Value): string[] =>
    Array.isArray(value) ? value.flatMap((item) => lines(key, item)) : [`${key}=${String(value)}`];
  return [
    '[Unit]',
    `Description=${unit.description}`,
    ...lines('After', unit.after),
    ...lines('Wants', unit.wants),
    '',
    '[Service]',
    ...Object.entries(unit.environment).map(([key, value]) => `Environment="${key}=${value}"`),
    ...Object.entries(unit.serviceConfig).flatMap(([key, value]) => lines(key, value)),
    '',
    '[Install]',
    ...lines('WantedBy', unit.wantedBy),
    '',
  ].join('\n');
}

/** The [Service] keys of a unit file in deploy/systemd. */
function serviceSection(path: string): Map<string, string> {
  const text = readFileSync(path, 'utf8');
  const service = text.slice(text.indexOf('[Service]'), text.indexOf('[Install]'));
  return new Map(
    service
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const systemdValue = (value: Value | undefined): string =>
  value === true ? 'yes' : value === false ? 'no' : Array.isArray(value) ? value.join(' ') : String(value);

afterAll(async () => {
  await stopAll();
});

describe('NixOS module', () => {
  it('parses (nix-instantiate --parse), the module and the package', async () => {
    const nix = requireCommand('nix-instantiate', 'nix-bin');
    for (const file of [MODULE, PACKAGE]) {
      const parsed = await run(nix, ['--parse', file]);
      expect(parsed, file).toMatchObject({ code: 0, stderr: '' });
    }
  });

  it("package.nix: the version from the tarball's name, and the launcher's node pointed at the store's", async () => {
    const nix = requireCommand('nix-instantiate', 'nix-bin');
    // stdenv.mkDerivation as the identity: what the package asks of nixpkgs, without nixpkgs.
    const expression = `import ${PACKAGE} {
      lib = { };
      stdenv = { mkDerivation = attrs: attrs; cc.cc.lib = "libstdc++"; };
      autoPatchelfHook = "autoPatchelfHook";
      nodejs_20 = "/nodejs-20";
      src = "/downloads/homeport-1.2.3-linux-x64.tar.gz";
    }`;
    const result = await run(nix, ['--eval', '--strict', '--json', '--expr', expression]);
    expect(result.code, result.stderr).toBe(0);
    const derivation = JSON.parse(result.stdout) as { version: string; installPhase: string };
    expect(derivation.version).toBe('1.2.3');
    expect(derivation.installPhase).toContain("--replace-fail 'node=node' 'node=/nodejs-20/bin/node'");
    // The line it replaces is the launcher's.
    const launcher = readFileSync(join(REPO_ROOT, 'scripts/release/files/homeport.sh'), 'utf8');
    expect(launcher.split('\n')).toContain('node=node');
  });

  it('makes a hardened unit, a config file, and an nginx host with ACME and an unbuffered event stream', async () => {
    const out = tempDir('homeport-nixos-');
    const evaluation = await evaluate(
      {
        services: {
          homeport: {
            enable: true,
            package: '/opt/homeport',
            domain: 'homeport.example.org',
            davDomain: 'files.example.org',
            writablePaths: ['/home/alice/photos'],
            secretFiles: { HOMEPORT_SECRET_KEY: '/run/keys/homeport-secret-key' },
            environmentFile: '/run/keys/homeport.env',
            settings: { port: 9000, accounts: { sessionTtl: '24h' } },
          },
        },
      },
      out,
    );
    expect(evaluation.failedAssertions).toEqual([]);
    expect(evaluation.settings).toEqual({
      port: 9000,
      bind: '127.0.0.1',
      accounts: { sessionTtl: '24h' },
      publicUrl: 'https://homeport.example.org',
      trustProxy: ['127.0.0.1', '::1'],
      shutdownTimeout: '10s',
      nats: { serverBin: '/nonexistent/bin/nats-server' },
      agent: { advertiseUrl: 'https://files.example.org' },
    });
    const unit = evaluation.services.homeport;
    expect(unit).toBeDefined();
    if (unit === undefined) return;
    expect(unit.serviceConfig).toMatchObject({
      User: 'homeport',
      StateDirectory: 'homeport',
      WorkingDirectory: '/var/lib/homeport',
      ReadWritePaths: ['/var/lib/homeport', '/home/alice/photos'],
      ProtectHome: 'no',
      LoadCredential: ['HOMEPORT_SECRET_KEY:/run/keys/homeport-secret-key'],
      EnvironmentFile: ['/run/keys/homeport.env'],
      TimeoutStopSec: 30,
    });
    expect(JSON.parse(readFileSync(unit.environment.HOMEPORT_CONFIG ?? '', 'utf8'))).toEqual(
      evaluation.settings,
    );
    const script = readFileSync(String(unit.serviceConfig.ExecStart), 'utf8');
    expect(script).toContain('HOMEPORT_SECRET_KEY="$(< "$CREDENTIALS_DIRECTORY/HOMEPORT_SECRET_KEY")"');
    expect(script).toContain(
      `exec ${NODEJS}/bin/node /opt/homeport/dist/homeport.js start --data-dir /var/lib/homeport`,
    );
    expect(script).not.toContain('/run/keys');
    expect(evaluation.users.users.homeport).toMatchObject({ isSystemUser: true, group: 'homeport' });
    expect(evaluation.systemPackages).toEqual(['/opt/homeport']);

    // The sandbox of deploy/systemd/homeport.service, key for key (the account and paths differ by design).
    const reference = serviceSection(join(REPO_ROOT, 'deploy/systemd/homeport.service'));
    const differ = ['ExecStart', 'EnvironmentFile', 'DynamicUser', 'ReadWritePaths', 'ProtectHome'];
    for (const [key, value] of reference) {
      if (differ.includes(key)) continue;
      expect(systemdValue(unit.serviceConfig[key]), key).toBe(value);
    }

    const host = evaluation.nginx?.virtualHosts['homeport.example.org'];
    expect(host).toMatchObject({
      enableACME: true,
      forceSSL: true,
      locations: {
        '/': { proxyPass: 'http://127.0.0.1:9000', recommendedProxySettings: true },
        '/api/v1/events': { proxyPass: 'http://127.0.0.1:9000', recommendedProxySettings: true },
      },
    });
    const events = JSON.stringify(host?.locations);
    expect(events).toContain('proxy_buffering off;');
    expect(evaluation.nginx?.virtualHosts['files.example.org']).toMatchObject({
      enableACME: true,
      forceSSL: true,
      locations: { '/': { proxyPass: 'http://127.0.0.1:8090' } },
    });
  });

  it('refuses a secret that is not an environment variable name', async () => {
    const evaluation = await evaluate(
      {
        services: {
          homeport: { enable: true, package: '/opt/homeport', secretFiles: { 'x; rm -rf /': '/run/keys/x' } },
        },
      },
      tempDir('homeport-nixos-'),
    );
    expect(evaluation.failedAssertions).toEqual([
      'services.homeport.secretFiles: x; rm -rf / is not an environment variable name',
    ]);
  });

  it("runs the units' start commands: Homeport with its secrets and config file, and an agent that joins it", async () => {
    const analyze = requireCommand('systemd-analyze', 'systemd');
    const natsBin = requireCommand('nats-server', 'nats-server');
    const out = tempDir('homeport-nixos-');
    const natsServer = join(out, 'nats-server-package');
    mkdirSync(join(natsServer, 'bin'), { recursive: true });
    symlinkSync(natsBin, join(natsServer, 'bin/nats-server'));
    const dataDir = join(out, 'data');
    const stateDir = join(out, 'agent-state');
    const exported = join(out, 'photos');
    mkdirSync(exported);
    const [port, davPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    const keys = join(out, 'keys');
    mkdirSync(keys, { mode: 0o700 });
    writeFileSync(join(keys, 'admin-password'), 'nixos-admin-password-1\n', { mode: 0o600 });

    const evaluation = await evaluate(
      {
        services: {
          homeport: {
            enable: true,
            package: join(REPO_ROOT, 'apps/homeport'),
            dataDir,
            secretFiles: { HOMEPORT_ADMIN_PASSWORD: join(keys, 'admin-password') },
            settings: { port, agent: { davPort }, deploy: { proxyPort: 0 }, log: { level: 'warn' } },
            agent: {
              enable: true,
              stateDir,
              controlPlaneUrl: `http://127.0.0.1:${port}`,
              exports: [`${exported}:Photos`],
              // The server's own generated token, read the way an operator's secret file would be.
              secretFiles: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: join(dataDir, 'secrets/node-bootstrap-token') },
              settings: { agent: { listen: `127.0.0.1:${agentPort}` } },
            },
          },
        },
      },
      out,
      natsServer,
    );
    expect(evaluation.failedAssertions).toEqual([]);
    expect(evaluation.tmpfiles).toEqual([
      `d ${dataDir} 0700 homeport homeport - -`,
      `d ${stateDir} 0700 homeport-agent homeport-agent - -`,
    ]);

    // systemd's own reading of both units, as NixOS would write them.
    for (const name of ['homeport', 'homeport-agent']) {
      const unit = evaluation.services[name];
      if (unit === undefined) throw new Error(`no ${name} unit`);
      const path = join(out, `${name}.service`);
      writeFileSync(path, renderUnit(unit));
      const verified = await run(analyze, ['verify', '--man=no', path]);
      expect({ name, ...verified }).toEqual({ name, code: 0, stdout: '', stderr: '' });
    }

    // What systemd does at start: the unit's Environment=, and each LoadCredential= copied into
    // $CREDENTIALS_DIRECTORY under its name.
    const start = async (name: string): Promise<ManagedProcess> => {
      const unit = evaluation.services[name];
      if (unit === undefined) throw new Error(`no ${name} unit`);
      const credentials = join(out, `credentials-${name}`);
      mkdirSync(credentials, { mode: 0o700 });
      for (const entry of (unit.serviceConfig.LoadCredential ?? []) as string[]) {
        const [id, file] = [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)];
        writeFileSync(join(credentials, id), readFileSync(file), { mode: 0o400 });
      }
      const unset = Object.fromEntries(Object.keys(process.env).map((key) => [key, undefined]));
      return startProcess(String(unit.serviceConfig.ExecStart), [], {
        name,
        cwd: out,
        env: { ...unset, PATH: '/usr/bin:/bin', ...unit.environment, CREDENTIALS_DIRECTORY: credentials },
      });
    };

    mkdirSync(dataDir, { mode: 0o700 });
    const server = await start('homeport');
    const url = `http://127.0.0.1:${port}`;
    await until(
      async () => {
        if (server.exitStatus()) throw new Error(`homeport exited:\n${server.output()}`);
        return (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200;
      },
      30_000,
      100,
    );
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'nixos-admin-password-1' }),
    });
    expect(login.status, 'the admin password from the credential, without its newline').toBe(200);
    const { token } = (await login.json()) as { token: string };

    mkdirSync(stateDir, { mode: 0o700 });
    const agent = await start('homeport-agent');
    const photos = await until(
      async () => {
        if (agent.exitStatus()) throw new Error(`agent exited:\n${agent.output()}`);
        const response = await fetch(`${url}/api/v1/exports`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const exports = (await response.json()) as { label: string; nodeId: string }[];
        return exports.find((item) => item.label === 'Photos');
      },
      30_000,
      200,
    );
    expect(photos.label).toBe('Photos');

    for (const child of [agent, server]) {
      expect(await child.stop('SIGTERM'), child.output()).toEqual({ code: 0, signal: null });
    }
  }, 90_000);
});
