// Builds the release tarball from the existing build (apps/homeport/dist, apps/web/dist; no rebuild):
//   homeport-<version>-linux-<arch>/{bin/homeport, dist/, web/, node_modules/, systemd/, INSTALL, package.json}
// Laid out so that nothing needs a setting: the bundle finds node_modules/ by Node's resolution from dist/, the
// web UI in web/ beside dist/ (apps/homeport/src/web.ts), and `install-service` its own dist/homeport.js.

import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha256, writeTarball } from './archive.js';
import { scanBundle } from './bundle-files.js';
import { copyPackage } from './copy-package.js';
import { ReleaseError } from './errors.js';
import { checkNothingLoads, collectRuntimePackages, type RuntimePackage } from './runtime-packages.js';
import { copyWebUi } from './web-ui.js';

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

/**
 * The launcher accepts the Node major running this script: better-sqlite3's addon must then be built for it
 * (npm ci under another Node leaves one for that Node's ABI, which would fail only where it is installed).
 */
function checkAddonLoads(repo: string): void {
  try {
    const load = createRequire(join(repo, 'apps/homeport/dist/'));
    // better-sqlite3's constructor, typed loosely: only whether its addon loads matters here.
    const Database = load('better-sqlite3') as new (path: string) => { close(): void };
    new Database(':memory:').close();
  } catch (error) {
    throw new ReleaseError(
      'addon_mismatch',
      `better-sqlite3 does not load with Node ${process.versions.node} (${(error as Error).message.split('\n')[0]}); run npm ci with the Node the release is for, then npm run release with it`,
      { cause: error },
    );
  }
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
  checkAddonLoads(repo);
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
    checkNothingLoads(join(stage, 'node_modules'), packages, leftOut);
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
