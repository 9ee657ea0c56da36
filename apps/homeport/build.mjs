// Bundles the server into dist/homeport.js (and the WebDAV worker into dist/dav-worker.js); workspace packages are inlined, npm dependencies stay external.

import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: {
    homeport: new URL('./src/main.ts', import.meta.url).pathname,
    // The NAS agent's WebDAV worker (HOMEPORT_DAV_WORKERS > 1): node:cluster runs it, without the CLI.
    'dav-worker': new URL('../../packages/nas/src/agent/workers/dav-worker.ts', import.meta.url).pathname,
  },
  outdir: new URL('./dist/', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  define: { __HOMEPORT_VERSION__: JSON.stringify(version) },
  plugins: [
    {
      name: 'external-npm',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@homeport/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
  logLevel: 'warning',
});
