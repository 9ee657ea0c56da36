// The npm packages the release ships in its node_modules: what the bundle loads at run time (the build's
// externals: native addons, pino, …) and their production dependencies, copied from the repository's
// node_modules as npm installed them — the native addons already built for this machine, no download.

import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ReleaseError } from './errors.js';

/**
 * Packages the bundle only locates (`createRequire(…).resolve(name)`), to load some of their dependencies from
 * their folder the way they would: Fastify's validator and serializer compilers
 * (packages/core/src/http/body-validation.ts, lazy-compilers.ts). Fastify itself is inlined in the bundle, so
 * its folder ships without its other dependencies.
 */
export const LOCATED_FOR: Readonly<Record<string, readonly string[]>> = {
  fastify: ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler'],
};

/**
 * Loaded by name rather than through an import the bundle scan sees: pino starts its transport 'pino-pretty'
 * in a worker thread when stdout is a terminal (packages/core/src/logger.ts).
 */
export const LOADED_BY_NAME: readonly string[] = ['pino-pretty'];

/** Located only by code that runs from the sources (worker-support.ts: tsx runs the .ts worker entries). */
export const SOURCE_ONLY: ReadonlySet<string> = new Set(['tsx']);

/**
 * Dependencies a package uses while it is installed or compiled, never when it runs: better-sqlite3's
 * prebuild-install (its install script), cpu-features' buildcheck and nan (ssh2's optional addon, compiled at
 * install), node-gyp; and type declarations (protobufjs depends on @types/node). Left out, and checked after
 * the copy: no shipped file may still load one (release.ts).
 */
export function isBuildTimeOnly(name: string): boolean {
  return name.startsWith('@types/') || ['prebuild-install', 'node-gyp', 'nan', 'buildcheck'].includes(name);
}

export interface RuntimePackage {
  name: string;
  version: string;
  /** Its folder in the repository. */
  source: string;
  /** Its folder relative to node_modules (`pino`, `pino-pretty/node_modules/sonic-boom`): kept, so Node's
   * resolution from the release's dist/ finds the same copy it finds from apps/homeport/dist here. */
  path: string;
  /** Files of its install scripts (`node buildcheck.js` …): they never run from the release. */
  installFiles: string[];
}

export interface CollectOptions {
  /** The repository's node_modules, where every shipped package must come from. */
  nodeModules: string;
  /** Where the bundle runs from (apps/homeport/dist): Node's resolution starts there. */
  from: string;
  /** Packages the bundle imports or requires (with LOADED_BY_NAME): shipped with their dependencies. */
  loaded: readonly string[];
  /** Packages it only locates (see LOCATED_FOR). */
  located: readonly string[];
}

export interface CollectedPackages {
  packages: RuntimePackage[];
  /** Build-time-only dependencies left out (isBuildTimeOnly). */
  leftOut: string[];
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  scripts?: Record<string, string>;
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest; // npm wrote it

/** Node's lookup of a package from a folder: `<dir>/node_modules/<name>`, then each parent's. */
function findPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `node buildcheck.js > x && node-gyp rebuild` → `buildcheck.js`: files the install scripts run. */
function installScriptFiles(manifest: Manifest): string[] {
  const scripts = ['preinstall', 'install', 'postinstall'].map((name) => manifest.scripts?.[name] ?? '');
  return scripts.flatMap((script) =>
    [...script.matchAll(/\bnode\s+([\w./-]+)/g)].map((match) => {
      const file = (match[1] ?? '').replace(/^\.\//, '');
      return /\.[cm]?js$/.test(file) ? file : `${file}.js`;
    }),
  );
}

/**
 * The packages to ship: `loaded` with the closure of their `dependencies`, installed `optionalDependencies`
 * (the native binary packages for this platform) and installed required peers — what `npm ci --omit=dev`
 * would give them — and each `located` package's folder with what LOCATED_FOR loads from it.
 */
export function collectRuntimePackages(options: CollectOptions): CollectedPackages {
  const found = new Map<string, RuntimePackage>();
  /** How far each package's dependencies were followed: a located one may turn out to be loaded too. */
  const followed = new Map<string, 'all' | 'only'>();
  const leftOut = new Set<string>();
  const root = `${options.nodeModules}${sep}`;

  const visit = (name: string, fromDir: string, what: 'all' | 'only'): void => {
    const dir = findPackage(name, fromDir);
    if (dir === undefined) {
      throw new ReleaseError(
        'package_missing',
        `${name} (needed from ${relative(options.nodeModules, fromDir) || fromDir}) is not installed; run npm ci`,
      );
    }
    if (!dir.startsWith(root) || lstatSync(dir).isSymbolicLink()) {
      throw new ReleaseError(
        'package_missing',
        `${name} resolves to ${dir}, not an installed package of ${options.nodeModules}: the release copies only those`,
      );
    }
    const path = relative(options.nodeModules, dir);
    if (followed.get(path) === 'all' || followed.get(path) === what) return;
    followed.set(path, what);
    const manifest = readManifest(dir);
    found.set(path, {
      name,
      version: manifest.version ?? '',
      source: dir,
      path,
      installFiles: installScriptFiles(manifest),
    });
    const required = what === 'all' ? Object.keys(manifest.dependencies ?? {}) : (LOCATED_FOR[name] ?? []);
    const ifInstalled =
      what === 'all'
        ? [
            ...Object.keys(manifest.optionalDependencies ?? {}),
            ...Object.keys(manifest.peerDependencies ?? {}).filter(
              (peer) => manifest.peerDependenciesMeta?.[peer]?.optional !== true,
            ),
          ]
        : [];
    for (const dependency of required) {
      if (isBuildTimeOnly(dependency)) leftOut.add(dependency);
      else visit(dependency, dir, 'all');
    }
    // npm installs only the optional packages for this platform (one of @node-rs/argon2-<os>-<cpu>-<libc>).
    for (const dependency of ifInstalled) {
      if (isBuildTimeOnly(dependency)) leftOut.add(dependency);
      else if (findPackage(dependency, dir) !== undefined) visit(dependency, dir, 'all');
    }
  };

  for (const name of [...options.loaded, ...LOADED_BY_NAME]) visit(name, options.from, 'all');
  for (const name of options.located) {
    if (SOURCE_ONLY.has(name)) continue;
    visit(name, options.from, name in LOCATED_FOR ? 'only' : 'all');
  }
  return {
    packages: [...found.values()].sort((a, b) => a.path.localeCompare(b.path)),
    leftOut: [...leftOut].sort(),
  };
}

/** No shipped script may load a package left out as build-time only (its install scripts aside). */
export function checkNothingLoads(
  nodeModules: string,
  packages: readonly RuntimePackage[],
  leftOut: readonly string[],
): void {
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
          const file = relative(join(nodeModules, pkg.path), path);
          if (pkg.installFiles.includes(file)) continue;
          if (loads.test(readFileSync(path, 'utf8')))
            throw new ReleaseError(
              'package_left_out',
              `node_modules/${pkg.path}/${file} loads a package left out as build-time only (${leftOut.join(', ')}); see isBuildTimeOnly in scripts/release/runtime-packages.ts`,
            );
        }
      }
    };
    walk(join(nodeModules, pkg.path));
  }
}
