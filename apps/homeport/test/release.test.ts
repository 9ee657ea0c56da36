// The release tarball (issue 14): made from the existing build by scripts/release, unpacked in a clean folder
// outside the repository (no node_modules of the repository on Node's way, an environment without NODE_PATH
// or Homeport settings), and run from there as a person would: bin/homeport on a terminal, sign in, the web UI,
// SIGTERM. Every native addon the server loads must come from the tarball.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import {
  freePort,
  REPO_ROOT,
  requireCommand,
  startProcess,
  stopAll,
  tempDir,
  until,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanBundle } from '../../../scripts/release/bundle-files.js';
import { checkNothingLoads } from '../../../scripts/release/runtime-packages.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (command: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Run> =>
  new Promise((resolve) => {
    execFile(command, args, { env, cwd, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

/** The node running the tests first on PATH, then the system's: nothing else of this machine's setup. */
const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

let tarball = '';
/** The unpacked release: `<temp>/homeport-<version>-linux-<arch>`. */
let root = '';
let launcher = '';
/** A clean environment: no NODE_PATH, NODE_OPTIONS or HOMEPORT_*, HOME in the temp folder. */
let cleanEnv: Record<string, string> = {};

afterAll(async () => {
  await stopAll();
});

describe('release tarball', () => {
  beforeAll(async () => {
    const tar = requireCommand('tar', 'tar');
    const out = tempDir('homeport-release-');
    const started = Date.now();
    // The module behind `npm run release` (which builds first; `npm test` has built already).
    const made = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/release/main.ts', '--out', out],
      { PATH },
      REPO_ROOT,
    );
    expect(made, made.stderr).toMatchObject({ code: 0 });
    const name = readdirSync(out).find((file) => file.endsWith('.tar.gz'));
    expect(name).toMatch(new RegExp(`^homeport-\\d+\\.\\d+\\.\\d+[^/]*-linux-${process.arch}\\.tar\\.gz$`));
    tarball = join(out, name ?? '');
    console.log(
      `release tarball ${name}: ${(statSync(tarball).size / 1024 / 1024).toFixed(1)} MiB, made in ${Date.now() - started} ms`,
    );

    const unpacked = tempDir('homeport-unpacked-');
    const untar = await run(tar, ['-xzf', tarball, '-C', unpacked], { PATH });
    expect(untar).toMatchObject({ code: 0 });
    root = join(unpacked, (name ?? '').replace(/\.tar\.gz$/, ''));
    launcher = join(root, 'bin/homeport');
    cleanEnv = { PATH, HOME: unpacked, LANG: 'C.UTF-8' };
  }, 120_000);

  it('is unpacked where Node finds no node_modules but its own', () => {
    expect(root.startsWith(REPO_ROOT)).toBe(false);
    for (let dir = dirname(root); ; dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
      if (dirname(dir) === dir) break;
    }
    // Node's global folders for CommonJS (HOME is the temp folder; <prefix>/lib/node).
    expect(existsSync(join(dirname(dirname(process.execPath)), 'lib/node'))).toBe(false);
  });

  it('holds the launcher, the reachable bundle, the web UI, runtime packages only, units and INSTALL', () => {
    expect(statSync(launcher).mode & 0o777).toBe(0o755);
    for (const file of [
      'dist/homeport.js',
      'dist/dav-worker.js',
      'dist/proxy-worker.js',
      'web/index.html',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/pino-pretty/package.json',
      'systemd/homeport.service',
      'systemd/homeport-agent.service',
      'INSTALL',
    ])
      expect(existsSync(join(root, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
    // What never runs: SQLite's sources, build tools, development packages, source maps, old build chunks.
    for (const absent of [
      'node_modules/better-sqlite3/deps',
      'node_modules/better-sqlite3/src',
      'node_modules/prebuild-install',
      'node_modules/typescript',
      'node_modules/vitest',
      'node_modules/esbuild',
      'node_modules/@homeport',
      'dist/homeport.js.map',
    ])
      expect(existsSync(join(root, absent)), absent).toBe(false);
    const chunks = readdirSync(join(root, 'dist/chunks'));
    const built = readdirSync(join(REPO_ROOT, 'apps/homeport/dist/chunks')).filter((f) => f.endsWith('.js'));
    expect(chunks.every((chunk) => built.includes(chunk))).toBe(true);
    const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
    expect(readFileSync(`${tarball}.sha256`, 'utf8')).toBe(`${digest}  ${basename(tarball)}\n`);
  });

  it('bin/homeport --version, and install-service finds the bundle it runs from', async () => {
    const version = await run(launcher, ['--version'], cleanEnv, dirname(root));
    const { version: expected } = JSON.parse(
      readFileSync(join(REPO_ROOT, 'apps/homeport/package.json'), 'utf8'),
    ) as { version: string };
    expect(version).toEqual({ code: 0, stdout: `${expected}\n`, stderr: '' });

    const units = await run(launcher, ['install-service', '--print'], cleanEnv, dirname(root));
    expect(units.code, units.stderr).toBe(0);
    expect(units.stdout).toContain(
      `ExecStart=${process.execPath} ${root}/dist/homeport.js start --data-dir /var/lib/homeport`,
    );
  });

  it('refuses a Node.js older than 20.19, or of another major than it was built with, in one line', async () => {
    const fakeBin = tempDir('homeport-fake-node-');
    const major = Number(process.versions.node.split('.')[0]);
    for (const [version, message] of [
      ['v20.18.3', /^homeport: Node\.js v20\.18\.3 is too old; Homeport needs Node\.js >= 20\.19\n$/],
      [
        `v${major + 1}.0.0`,
        new RegExp(
          `^homeport: this release is built for Node\\.js ${major} .*not v${major + 1}\\.0\\.0.*\\n$`,
        ),
      ],
    ] as const) {
      writeFileSync(join(fakeBin, 'node'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
      const refused = await run(launcher, ['--version'], { ...cleanEnv, PATH: `${fakeBin}:${PATH}` });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(message);
    }
  });

  it('starts from bin/homeport on a terminal, signs in, serves the web UI, and exits 0 on SIGTERM', async () => {
    const script = requireCommand('script', 'bsdutils');
    const dataDir = join(dirname(root), 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const password = 'release-test-password-1';
    const unset = Object.fromEntries(Object.keys(process.env).map((key) => [key, undefined]));
    const command = `exec ${launcher} start --port ${port} --bind 127.0.0.1 --data-dir ${dataDir}`;
    // `script` gives Homeport a terminal, as when a person tries it: logs then go through pino-pretty, loaded
    // by name in a worker thread, which the bundle's imports do not show.
    const terminal = await startProcess(
      script,
      ['--quiet', '--return', '--flush', '--command', command, '/dev/null'],
      {
        name: 'homeport (release)',
        cwd: dirname(root),
        env: {
          ...unset,
          ...cleanEnv,
          HOMEPORT_ADMIN_PASSWORD: password,
          HOMEPORT_DAV_PORT: String(await freePort()),
          HOMEPORT_PROXY_PORT: '0',
        },
      },
    );
    const ready = await until(
      async () => {
        if (terminal.exitStatus()) throw new Error(`exited early:\n${terminal.output()}`);
        const response = await fetch(`${url}/ready`).catch(() => undefined);
        return response?.status === 200;
      },
      30_000,
      100,
    );
    expect(ready).toBe(true);

    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const me = await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);

    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toBe(readFileSync(join(root, 'web/index.html'), 'utf8'));
    // Every asset the page loads first is there (the build's older assets are left out of the tarball).
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);

    // Homeport itself: `script`'s only child (sh exec'd the launcher, which exec'd node).
    const nodePid = Number(
      readFileSync(`/proc/${terminal.pid}/task/${terminal.pid}/children`, 'utf8').trim(),
    );
    expect(readFileSync(`/proc/${nodePid}/cmdline`, 'utf8').split('\0')).toContain(
      `${root}/dist/homeport.js`,
    );
    // SQLite's and argon2's addons (the login hashed a password) came from the tarball.
    const addons = [
      ...new Set(
        readFileSync(`/proc/${nodePid}/maps`, 'utf8')
          .split('\n')
          .map((line) => line.split(/\s+/)[5] ?? '')
          .filter((path) => path.endsWith('.node')),
      ),
    ];
    expect(addons.some((path) => path.endsWith('/better_sqlite3.node'))).toBe(true);
    expect(addons.some((path) => /argon2.*\.node$/.test(path))).toBe(true);
    expect(addons.filter((path) => !path.startsWith(`${root}${sep}node_modules${sep}`))).toEqual([]);

    process.kill(nodePid, 'SIGTERM');
    const status = await Promise.race([
      terminal.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
    ]);
    expect(status, terminal.output()).toEqual({ code: 0, signal: null });
    const output = terminal.stdout();
    expect(output).toMatch(/\bINFO\b/);
    expect(output).not.toContain('"level":30');
  }, 60_000);
});

describe('release checks', () => {
  it('refuses a bundle whose entry imports a chunk that is not there', () => {
    const dist = tempDir('homeport-dist-');
    mkdirSync(join(dist, 'chunks'));
    writeFileSync(
      join(dist, 'homeport.js'),
      'import { a } from "./chunks/a.js";\nimport("./chunks/gone.js");\n',
    );
    writeFileSync(
      join(dist, 'chunks/a.js'),
      'import pino from "pino";\nexport const a = __require("sonic-boom");\n',
    );
    expect(() => scanBundle(dist, ['homeport.js'])).toThrow(
      expect.objectContaining({
        code: 'bundle_incomplete',
        message: expect.stringContaining('chunks/gone.js'),
      }),
    );
  });

  it('finds the packages a bundle imports, requires or only locates', () => {
    const dist = tempDir('homeport-dist-');
    mkdirSync(join(dist, 'chunks'));
    writeFileSync(
      join(dist, 'homeport.js'),
      'import {\n  a\n} from "./chunks/a.js";\nimport { x } from "node:fs";\nawait import("dockerode");\n',
    );
    writeFileSync(
      join(dist, 'chunks/a.js'),
      'import pino from "pino";\nimport "crypto";\nexport const a = __require("@node-rs/argon2/x.js");\nconst f = createRequire(import.meta.url).resolve("fastify");\n',
    );
    expect(scanBundle(dist, ['homeport.js'])).toEqual({
      files: ['chunks/a.js', 'homeport.js'],
      imported: ['@node-rs/argon2', 'dockerode', 'pino'],
      resolved: ['fastify'],
    });
  });

  it('refuses to ship a file that loads a package left out as build-time only', () => {
    const nodeModules = tempDir('homeport-node-modules-');
    mkdirSync(join(nodeModules, 'addon/lib'), { recursive: true });
    writeFileSync(join(nodeModules, 'addon/install.js'), "require('prebuild-install');\n");
    writeFileSync(
      join(nodeModules, 'addon/lib/index.js'),
      "module.exports = require('bindings')('addon');\n",
    );
    const pkg = { name: 'addon', version: '1.0.0', source: '', path: 'addon', installFiles: ['install.js'] };
    expect(() => checkNothingLoads(nodeModules, [pkg], ['prebuild-install'])).not.toThrow();
    writeFileSync(join(nodeModules, 'addon/lib/index.js'), "require('prebuild-install');\n");
    expect(() => checkNothingLoads(nodeModules, [pkg], ['prebuild-install'])).toThrow(
      expect.objectContaining({ code: 'package_left_out' }),
    );
  });
});
