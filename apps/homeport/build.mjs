// Bundles the server into dist/homeport.js (and the WebDAV and proxy workers into dist/dav-worker.js and dist/proxy-worker.js); workspace packages and pure-JS npm dependencies are inlined.
// Start-up (issue 15): code reached only through import() goes into dist/chunks/, loaded when a command or a
// configuration needs it; npm dependencies are inlined (all but EXTERNAL below) because resolving and reading
// their hundreds of small files cost more than the code in them (typebox: ~700 files, ~250 ms to import from
// node_modules, ~30 ms inlined).

import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/**
 * Stay external (loaded from node_modules): native addons (they load a .node file beside their own code), pino
 * (its transports run its files in worker threads), @fastify/swagger (reads its package.json through
 * __dirname, which ESM output has not) and dockerode (imported on first use, with its optional native ssh2).
 * A dependency that import()s a CommonJS module for its named exports would get only a default one from a
 * split bundle: the check after the build refuses such a case.
 */
const EXTERNAL = new Set([
  'better-sqlite3',
  '@node-rs/argon2',
  '@node-rs/bcrypt',
  'pino',
  'pino-pretty',
  'sonic-boom',
  'thread-stream',
  '@fastify/swagger',
  'dockerode',
]);
const packageName = (path) => path.split('/', path.startsWith('@') ? 2 : 1).join('/');

const { metafile } = await build({
  entryPoints: {
    homeport: new URL('./src/main.ts', import.meta.url).pathname,
    // The NAS agent's WebDAV worker (HOMEPORT_DAV_WORKERS > 1): node:cluster runs it, without the CLI.
    'dav-worker': new URL('../../packages/nas/src/agent/workers/dav-worker.ts', import.meta.url).pathname,
    // The deploy proxy's worker (HOMEPORT_PROXY_WORKERS > 1), likewise without the CLI.
    'proxy-worker': new URL('../../packages/deploy/src/proxy/workers/proxy-worker.ts', import.meta.url)
      .pathname,
  },
  outdir: new URL('./dist/', import.meta.url).pathname,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  // Inlined CommonJS dependencies call require() for Node's built-ins; ESM output has none of its own.
  banner: {
    js: "import { createRequire as __homeportRequire } from 'node:module'; const require = __homeportRequire(import.meta.url);",
  },
  define: { __HOMEPORT_VERSION__: JSON.stringify(version) },
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@homeport/') || !EXTERNAL.has(packageName(args.path))
            ? undefined
            : { path: args.path, external: true },
        );
      },
    },
  ],
  metafile: true,
  logLevel: 'warning',
});

// An inlined dependency's import() of an inlined module becomes a chunk with only a default export when that
// module is CommonJS, where Node would give its named exports: such a dependency must stay external.
const inlinedDynamic = Object.entries(metafile.inputs).flatMap(([file, input]) =>
  file.includes('node_modules/')
    ? input.imports
        .filter((imported) => imported.kind === 'dynamic-import' && !imported.external)
        .map((imported) => `${file} → ${imported.path}`)
    : [],
);
if (inlinedDynamic.length > 0) {
  throw new Error(
    `build.mjs: inlined npm code import()s inlined code; add its package to EXTERNAL:\n  ${inlinedDynamic.join('\n  ')}`,
  );
}

// Chunk names carry a content hash, so each build that changes code adds files beside the old ones. Those no
// build has written for an hour go; a younger one may still be imported by a server started from its build.
const chunksDir = new URL('./dist/chunks/', import.meta.url).pathname;
const written = new Set(Object.keys(metafile.outputs).map((path) => path.split('/').pop()));
for (const name of readdirSync(chunksDir)) {
  const path = `${chunksDir}${name}`;
  if (!written.has(name) && Date.now() - statSync(path).mtimeMs > 3_600_000) rmSync(path, { force: true });
}
