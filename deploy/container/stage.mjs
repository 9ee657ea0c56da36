#!/usr/bin/env node
// Gathers what the container image runs, from a built checkout, into one folder: the server bundle (only the
// files the entries reach), the web UI, and the smallest set of node_modules the bundle loads at run time.
// The Dockerfile's build stage runs it after `npm run build`; the `prebuilt` target takes its output as context.
//
//   node deploy/container/stage.mjs <out-dir>
//
// <out-dir>/opt/homeport/ keeps the checkout's layout (apps/homeport/dist, apps/web/dist, node_modules), so the
// bundle finds the web UI and its packages where it does in a checkout; <out-dir>/data/ is the empty volume.
//
// Which packages: the bundle inlines its npm code except build.mjs's EXTERNAL list, so the roots are the bare
// specifiers the bundle's reachable files import, require or require.resolve (the last for code that loads a
// dependency of Fastify the way Fastify does). From each root, its `dependencies` and installed
// `optionalDependencies` are followed with Node's resolution. `npm ci --omit=dev` would install every
// workspace's dependencies, all inlined already (~3x the size).

import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = join(ROOT, 'apps/homeport/dist');
const WEB_DIST = join(ROOT, 'apps/web/dist');
/** build.mjs's entry points: the CLI, and the two workers node:cluster starts by path. */
const ENTRIES = ['homeport.js', 'dav-worker.js', 'proxy-worker.js'];
/**
 * Dependencies used only while installing: better-sqlite3's prebuild-install downloads its binary at `npm ci`;
 * at run time it loads build/Release through `bindings`.
 */
const INSTALL_ONLY = new Set(['prebuild-install']);
/** Packages whose folders hold sources for a rebuild besides what runs: only these entries are copied. */
const KEEP_ONLY = new Map([['better-sqlite3', ['package.json', 'lib', 'build/Release/better_sqlite3.node']]]);

/**
 * Bare names the scan finds in text that never loads them: `tsx` (worker-support.ts resolves it only when
 * running the .ts sources), `reflect-metadata` (tsyringe's error message), `ajv…` and `ajv-formats…` (Ajv's
 * code generator writes `require("ajv/dist/runtime/…")` into standalone validators, which Homeport does not
 * make; Fastify's own Ajv comes in through its dependencies).
 */
const NOT_LOADED = new Set(['tsx', 'reflect-metadata', 'ajv', 'ajv-formats']);
/** Loaded by name where no scan sees it: pino starts `pino-pretty` as a transport on a terminal (logger.ts). */
const EXTRA_ROOTS = ['pino-pretty'];
/** Files no running code reads: type declarations, source maps, documentation, native build intermediates. */
const NOT_RUN = /\.(?:d\.[cm]?ts|map|md|markdown)$|\/obj\.target\//i;

const BUILTINS = new Set(builtinModules);
// esbuild's output: `from "x"`, `import "x"`, `import("x")`, `require("x")` (its __require shim) and
// `require.resolve("x")`, always with double quotes.
// The capture takes only what a relative path or an npm package name can be, so words in messages do not match.
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\.resolve\s*\(\s*)"(\.{1,2}\/[\w./-]+|(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w./-]+)?|node:[\w/]+)"/g;

const fail = (message) => {
  console.error(`stage.mjs: ${message}`);
  process.exit(1);
};

const packageName = (specifier) => specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/');

/** The bundle files the entries reach through relative imports, and the bare specifiers they use. */
function walkBundle() {
  const files = new Set();
  const bare = new Set();
  const queue = ENTRIES.map((entry) => join(DIST, entry));
  while (queue.length > 0) {
    const file = queue.pop();
    if (files.has(file)) continue;
    if (!existsSync(file)) fail(`${relative(ROOT, file)} is missing: run npm run build first`);
    files.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (specifier.startsWith('./') || specifier.startsWith('../'))
        queue.push(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        const name = packageName(specifier);
        if (!NOT_LOADED.has(name)) bare.add(name);
      }
    }
  }
  return { files, bare };
}

/** The folder of `name` as Node resolves it from `fromDir` (nearest node_modules upwards). */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dir === dirname(dir)) return undefined;
  }
}

/** Every package folder the roots need at run time, resolved as Node would from the bundle's folder. */
function dependencyClosure(roots) {
  const dirs = new Set();
  const queue = [...roots].map((name) => ({ name, from: DIST, optional: false, via: 'the bundle' }));
  while (queue.length > 0) {
    const { name, from, optional, via } = queue.pop();
    const dir = packageDir(name, from);
    if (dir === undefined) {
      if (optional) continue;
      fail(`${name} (needed by ${via}) is not installed: run npm ci`);
    }
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(manifest.dependencies ?? {}))
      if (!INSTALL_ONLY.has(dependency))
        queue.push({ name: dependency, from: dir, optional: false, via: name });
    // Platform builds (@node-rs/argon2-linux-x64-gnu…): npm installed those matching this machine.
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {}))
      queue.push({ name: dependency, from: dir, optional: true, via: name });
  }
  return dirs;
}

function sizeOf(path) {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((total, name) => total + sizeOf(join(path, name)), 0);
}

const out = process.argv[2];
if (!out) fail('usage: node deploy/container/stage.mjs <out-dir>');
const target = resolve(out);
const app = join(target, 'opt/homeport');
rmSync(target, { recursive: true, force: true });
mkdirSync(join(target, 'data'), { recursive: true });

const { files, bare } = walkBundle();
for (const file of files) cpSync(file, join(app, relative(ROOT, file)));
if (!existsSync(join(WEB_DIST, 'index.html')))
  fail('apps/web/dist/index.html is missing: run npm run build first');
cpSync(WEB_DIST, join(app, 'apps/web/dist'), { recursive: true });
// Marks apps/homeport as an ES-module package ("type": "module") as in the checkout.
cpSync(join(ROOT, 'apps/homeport/package.json'), join(app, 'apps/homeport/package.json'));
cpSync(join(ROOT, 'deploy/container/healthcheck.mjs'), join(app, 'healthcheck.mjs'));

const packages = dependencyClosure([...bare, ...EXTRA_ROOTS]);
const copyOptions = { recursive: true, dereference: true, filter: (source) => !NOT_RUN.test(source) };
for (const dir of packages) {
  const name = relative(ROOT, dir);
  const keep = KEEP_ONLY.get(
    packageName(name.slice(name.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
  if (keep === undefined) cpSync(dir, join(app, name), copyOptions);
  else for (const entry of keep) cpSync(join(dir, entry), join(app, name, entry), copyOptions);
}

const summary = {
  roots: [...bare, ...EXTRA_ROOTS].sort(),
  packages: [...packages].map((dir) => relative(ROOT, dir)).sort(),
  bundleFiles: files.size,
  bytes: sizeOf(app),
};
writeFileSync(join(target, 'stage.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(
  `staged ${summary.bundleFiles} bundle files, ${summary.packages.length} packages (roots: ${summary.roots.join(', ')}), ` +
    `${(summary.bytes / 2 ** 20).toFixed(1)} MiB in ${target}\n`,
);
