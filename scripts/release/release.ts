// Builds the release tarball from the existing build (apps/homeport/dist, apps/web/dist; no rebuild):
//   homeport-<version>-linux-<arch>/{bin/homeport, dist/, web/, node_modules/, systemd/, INSTALL, package.json}
// Laid out so that nothing needs a setting: the bundle finds node_modules/ by Node's resolution from dist/, the
// web UI in web/ beside dist/ (apps/homeport/src/web.ts), and `install-service` its own dist/homeport.js.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { scanBundle } from './bundle-files.js';
import { copyPackage } from './copy-package.js';
import { ReleaseError } from './errors.js';
import { collectRuntimePackages, type RuntimePackage } from './runtime-packages.js';

export interface ReleaseOptions {
  /** The repository's root (its apps/, deploy/ and node_modules/ are read). */
  repoRoot: string;
  /** Where the tarball goes (default `<repoRoot>/dist/release`). */
  outDir?: string;
}

export interface Release {
  /** Absolute path of `homeport-<version>-linux-<arch>.tar.gz`. */
  tarball: string;
  /** Its top folder, `homeport-<version>-linux-<arch>`. */
  name: string;
  bytes: number;
  sha256: string;
  bundleFiles: number;
  packages: RuntimePackage[];
  leftOut: string[];
}

const FILES = new URL('./files/', import.meta.url);

/** The web UI's files of the current build: the assets of earlier builds it keeps a week are left out. */
function copyWebUi(webDist: string, target: string): void {
  const ledgerPath = join(webDist, '.retired-assets.json');
  const retired = new Set(
    existsSync(ledgerPath)
      ? Object.keys(JSON.parse(readFileSync(ledgerPath, 'utf8')) as Record<string, number>) // apps/web/vite.config.ts
      : [],
  );
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const name = relative(webDist, path);
      if (entry.isDirectory()) walk(path);
      else if (name !== '.retired-assets.json' && !retired.has(name.replace(/\.(br|gz)$/, ''))) {
        mkdirSync(join(target, relative(webDist, dir)), { recursive: true });
        copyFileSync(path, join(target, name));
      }
    }
  };
  walk(webDist);
}

/** No shipped script may load a package left out as build-time only (its install scripts aside). */
function checkLeftOut(stage: string, packages: readonly RuntimePackage[], leftOut: readonly string[]): void {
  if (leftOut.length === 0) return;
  const names = leftOut.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
  const loads = new RegExp(`(?:require\\(|from\\s*|import\\()\\s*['"](?:${names})(?:['"/])`);
  for (const pkg of packages) {
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        // A nested node_modules holds other packages, checked on their own.
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules') walk(path);
        } else if (/\.[cm]?js$/.test(entry.name)) {
          const file = relative(join(stage, 'node_modules', pkg.path), path);
          if (pkg.installFiles.includes(file)) continue;
          if (loads.test(readFileSync(path, 'utf8')))
            throw new ReleaseError(
              'package_left_out',
              `node_modules/${pkg.path}/${file} loads a package left out as build-time only (${leftOut.join(', ')}); see isBuildTimeOnly in scripts/release/runtime-packages.ts`,
            );
        }
      }
    };
    walk(join(stage, 'node_modules', pkg.path));
  }
}

/** Writes `<folder>` of `parent` as a gzip'd tar: entries sorted, owned by root, modes normalised. */
async function writeTarball(parent: string, folder: string, tarball: string): Promise<void> {
  const args = ['--create', '--format=gnu', '--sort=name', '--owner=0', '--group=0', '--numeric-owner'];
  args.push('--mode=u+rwX,go+rX,go-w', '--directory', parent, folder);
  // Reproducible when the caller pins the time (https://reproducible-builds.org/specs/source-date-epoch/).
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) args.unshift(`--mtime=@${epoch}`);
  const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close' comes after 'error' too (tar missing), so this never rejects unobserved.
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve));
  const partial = `${tarball}.partial`;
  try {
    await Promise.all([
      pipeline(tar.stdout, createGzip({ level: 9 }), createWriteStream(partial)),
      once(tar, 'spawn'),
    ]);
  } catch (error) {
    rmSync(partial, { force: true });
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'; // spawn's error
    throw new ReleaseError(
      'archive_failed',
      missing ? 'tar is not installed (apt-get install -y tar)' : `writing ${tarball} failed`,
      { cause: error },
    );
  }
  const code = await exited;
  if (code !== 0) {
    rmSync(partial, { force: true });
    throw new ReleaseError('archive_failed', `tar exited with ${code}: ${stderr.trim()}`);
  }
  renameSync(partial, tarball);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Writes `<outDir>/homeport-<version>-linux-<arch>.tar.gz` and its `.sha256` beside it.
 *
 * @example
 *   const { tarball, bytes } = await createRelease({ repoRoot: '/src/homeport' });
 */
export async function createRelease(options: ReleaseOptions): Promise<Release> {
  const repo = options.repoRoot;
  const dist = join(repo, 'apps/homeport/dist');
  const webDist = join(repo, 'apps/web/dist');
  for (const [path, what] of [
    [join(dist, 'homeport.js'), 'the server bundle'],
    [join(webDist, 'index.html'), 'the web UI'],
  ] as const) {
    if (!existsSync(path))
      throw new ReleaseError('bundle_incomplete', `${what} is not built (${path}); run npm run build`);
  }
  const { version } = JSON.parse(readFileSync(join(repo, 'apps/homeport/package.json'), 'utf8')) as {
    version: string; // the version build.mjs stamps into the bundle
  };
  const name = `homeport-${version}-linux-${process.arch}`;
  const outDir = options.outDir ?? join(repo, 'dist/release');
  mkdirSync(outDir, { recursive: true });
  const staging = mkdtempSync(join(outDir, '.staging-'));
  try {
    const stage = join(staging, name);
    const scan = scanBundle(dist);
    for (const file of scan.files) {
      mkdirSync(join(stage, 'dist', file, '..'), { recursive: true });
      copyFileSync(join(dist, file), join(stage, 'dist', file));
    }
    const { packages, leftOut } = collectRuntimePackages({
      nodeModules: join(repo, 'node_modules'),
      from: dist,
      loaded: scan.imported,
      located: scan.resolved,
    });
    for (const pkg of packages) copyPackage(pkg.source, join(stage, 'node_modules', pkg.path));
    checkLeftOut(stage, packages, leftOut);
    copyWebUi(webDist, join(stage, 'web'));
    mkdirSync(join(stage, 'systemd'));
    for (const unit of readdirSync(join(repo, 'deploy/systemd')))
      copyFileSync(join(repo, 'deploy/systemd', unit), join(stage, 'systemd', unit));

    const nodeMajor = process.versions.node.split('.')[0] ?? '';
    const fill = (template: string) =>
      readFileSync(new URL(template, FILES), 'utf8')
        .replaceAll('@NODE_MAJOR@', nodeMajor)
        .replaceAll('@NODE_VERSION@', process.versions.node)
        .replaceAll('@VERSION@', version)
        .replaceAll('@ARCH@', process.arch)
        .replaceAll('@NAME@', name);
    mkdirSync(join(stage, 'bin'));
    writeFileSync(join(stage, 'bin/homeport'), fill('homeport.sh'));
    chmodSync(join(stage, 'bin/homeport'), 0o755);
    writeFileSync(join(stage, 'INSTALL'), fill('INSTALL'));
    // The bundle is ESM in .js files: Node reads them as modules by the nearest package.json's "type".
    writeFileSync(
      join(stage, 'package.json'),
      `${JSON.stringify({ name: 'homeport', version, private: true, type: 'module' }, null, 2)}\n`,
    );

    const tarball = join(outDir, `${name}.tar.gz`);
    await writeTarball(staging, name, tarball);
    const digest = await sha256(tarball);
    writeFileSync(`${tarball}.sha256`, `${digest}  ${name}.tar.gz\n`);
    return {
      tarball,
      name,
      bytes: statSync(tarball).size,
      sha256: digest,
      bundleFiles: scan.files.length,
      packages,
      leftOut,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
