// Builds Homeport's image on a private dockerd without pulling anything: a base made from this machine's node
// and the shared libraries it and the release's native addons load, a nats-server image from the host's binary,
// then the Dockerfile's `ARTEFACTS=prebuilt` build over the release (scripts/release) of the current build,
// unpacked, with the health check script beside it.

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DockerdInstance, REPO_ROOT, requireCommand, tempDir } from '@homeport/testkit';

export interface DockerCli {
  /** Runs `docker <args>` against the private engine; rejects on a non-zero exit with its output. */
  run(args: readonly string[], options?: { timeoutMs?: number }): Promise<string>;
  /** The same, resolving with the exit code and output instead of rejecting. */
  attempt(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Debian's docker client (package docker.io), named by path: a newer client on PATH builds with BuildKit only
 * through the buildx plugin, which Debian 12 does not package; this one talks to the engine's own BuildKit.
 */
export function dockerCli(dockerd: DockerdInstance): DockerCli {
  const docker = requireCommand('/usr/bin/docker', 'docker.io');
  const env = {
    ...process.env,
    DOCKER_HOST: dockerd.dockerHost,
    DOCKER_BUILDKIT: '1',
    DOCKER_CONFIG: tempDir('hp-docker-cfg-'),
  };
  const attempt = (args: readonly string[], options: { timeoutMs?: number } = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      execFile(
        docker,
        args,
        { env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error && (error.killed || typeof error.code !== 'number')) {
            reject(new Error(`docker ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
            return;
          }
          resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  return {
    attempt,
    async run(args, options) {
      const result = await attempt(args, options);
      if (result.exitCode !== 0)
        throw new Error(
          `docker ${args.join(' ')} exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`,
        );
      return result.stdout;
    },
  };
}

/** Shared libraries `ldd` lists for these binaries (the loader included), as the binaries name them. */
function sharedLibraries(binaries: readonly string[]): string[] {
  const found = new Set<string>();
  for (const binary of binaries) {
    const output = execFileSync(requireCommand('ldd', 'libc-bin'), [binary], { encoding: 'utf8' });
    for (const match of output.matchAll(/(\/\S+\.so[^\s]*)\s+\(0x[0-9a-f]+\)/g))
      if (match[1]) found.add(match[1]);
  }
  return [...found];
}

function nativeAddons(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.node'))
    .map((path) => join(dir, path));
}

/** Copies `source` to `root`+`path` (real contents: on merged-/usr Debian /lib is a symlink; here a folder). */
function place(root: string, path: string, source: string, mode = 0o755): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  copyFileSync(realpathSync(source), join(root, path));
  chmodSync(join(root, path), mode);
}

async function importRootfs(cli: DockerCli, root: string, tag: string): Promise<void> {
  const tar = join(dirname(root), `${tag.replace(/[^a-z0-9]/g, '-')}.tar`);
  execFileSync(requireCommand('tar', 'tar'), ['-C', root, '-cf', tar, '.']);
  await cli.run(['import', tar, tag]);
}

export interface BuiltImage {
  tag: string;
  /** Bytes, as `docker image inspect` counts them (all layers, uncompressed). */
  size: number;
  baseSize: number;
  buildMs: number;
  /** npm packages in the release's node_modules, as its summary counts them. */
  packages: number;
}

/**
 * Makes the release of the current build, imports `homeport-base:test` and `homeport-nats:test`, and builds
 * `tag` from the repository's Dockerfile with them.
 */
export async function buildHomeportImage(cli: DockerCli, tag: string): Promise<BuiltImage> {
  const work = tempDir('hp-image-');
  const context = join(work, 'context');
  // `npm run release` without its `npm run build` (the suite builds first; other tests use that build).
  const summary = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'scripts/release/main.ts'), '--out', join(work, 'release')],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  const tarball = readdirSync(join(work, 'release')).find((name) => name.endsWith('.tar.gz'));
  if (tarball === undefined) throw new Error(`the release wrote no tarball:\n${summary}`);
  mkdirSync(context);
  execFileSync(requireCommand('tar', 'tar'), [
    '-xzf',
    join(work, 'release', tarball),
    '-C',
    context,
    '--strip-components=1',
  ]);
  copyFileSync(join(REPO_ROOT, 'deploy/container/healthcheck.mjs'), join(context, 'healthcheck.mjs'));
  const packages = Number(/(\d+) npm packages/.exec(summary)?.[1] ?? Number.NaN);

  // The base: node at /usr/local/bin (on PATH in every image), its libraries and the addons', /tmp, and an
  // /etc/passwd with root only (the image runs as a uid that has no entry, as on a real base).
  const base = join(work, 'base');
  const node = process.execPath;
  place(base, 'usr/local/bin/node', node);
  for (const library of sharedLibraries([node, ...nativeAddons(join(context, 'node_modules'))]))
    place(base, library.slice(1), library);
  mkdirSync(join(base, 'etc'), { recursive: true });
  writeFileSync(join(base, 'etc/passwd'), 'root:x:0:0:root:/root:/usr/sbin/nologin\n');
  writeFileSync(join(base, 'etc/group'), 'root:x:0:\n');
  mkdirSync(join(base, 'tmp'));
  chmodSync(join(base, 'tmp'), 0o1777);
  await importRootfs(cli, base, 'homeport-base:test');

  // As the official nats image: the binary at /nats-server (Debian's links libc, which the base has).
  const nats = join(work, 'nats');
  place(
    nats,
    'nats-server',
    requireCommand('nats-server', 'nats-server', `${process.env.PATH ?? ''}:/usr/sbin`),
  );
  await importRootfs(cli, nats, 'homeport-nats:test');

  const started = Date.now();
  await cli.run(
    [
      'build',
      '--file',
      join(REPO_ROOT, 'Dockerfile'),
      '--build-arg',
      'ARTEFACTS=prebuilt',
      '--build-arg',
      'BASE_IMAGE=homeport-base:test',
      '--build-arg',
      'NATS_IMAGE=homeport-nats:test',
      '--build-arg',
      'VERSION=test',
      '--tag',
      tag,
      context,
    ],
    { timeoutMs: 300_000 },
  );
  const buildMs = Date.now() - started;
  const size = Number(await cli.run(['image', 'inspect', '--format', '{{.Size}}', tag]));
  const baseSize = Number(await cli.run(['image', 'inspect', '--format', '{{.Size}}', 'homeport-base:test']));
  return { tag, size, baseSize, buildMs, packages };
}
