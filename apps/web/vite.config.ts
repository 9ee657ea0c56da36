// Vite build and dev-server config for the Homeport SPA; `homeport start` serves dist/ at `/`.
// The build is quiet (warnings only), precompresses every asset with brotli and gzip, and keeps the previous
// builds' hashed assets for a week, so a tab opened before an upgrade can still load its lazy chunks.

import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The dev server forwards API calls to a locally running `homeport start`, so cookies stay
// same-origin exactly as they are when the server serves the built files itself.
const backend = 'http://127.0.0.1:8080';

const OUT_DIR = 'dist';
/** Smaller files gain nothing from compression that a request's headers would not eat. */
const MIN_COMPRESS_BYTES = 1024;
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;
/** How long an asset of an earlier build stays after a newer build replaced it. */
const KEEP_RETIRED_MS = 7 * 24 * 60 * 60 * 1000;
/** When each asset no longer in the current build was first seen retired (file name → epoch ms). */
const RETIRED_FILE = '.retired-assets.json';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Writes `file.br` and `file.gz` next to `file` when they are smaller; @fastify/static serves them. */
function precompress(file: string): void {
  const data = readFileSync(file);
  if (data.length < MIN_COMPRESS_BYTES) return;
  const brotli = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  const gzip = gzipSync(data, { level: 9 });
  if (brotli.length < data.length) writeFileSync(`${file}.br`, brotli);
  if (gzip.length < data.length) writeFileSync(`${file}.gz`, gzip);
}

/**
 * Keeps retired assets for KEEP_RETIRED_MS after the build that replaced them, then deletes them with their
 * compressed copies. Vite's own emptyOutDir is off for this, so this plugin also removes everything else
 * a build no longer writes (the root files are rewritten by every build).
 */
function assetsLifecycle(now = Date.now()): Plugin {
  const current = new Set<string>();
  let outDir = OUT_DIR;
  return {
    name: 'homeport-assets',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) current.add(name);
    },
    closeBundle() {
      const assetsDir = join(outDir, 'assets');
      const ledgerPath = join(outDir, RETIRED_FILE);
      const ledger: Record<string, number> = existsSync(ledgerPath)
        ? (JSON.parse(readFileSync(ledgerPath, 'utf8')) as Record<string, number>) // written below
        : {};
      const next: Record<string, number> = {};
      for (const file of filesUnder(assetsDir)) {
        if (/\.(br|gz)$/.test(file)) continue;
        const name = `assets/${file.slice(assetsDir.length + 1)}`;
        if (current.has(name)) continue;
        const retiredAt = ledger[name] ?? now;
        if (now - retiredAt < KEEP_RETIRED_MS) {
          next[name] = retiredAt;
          continue;
        }
        for (const path of [file, `${file}.br`, `${file}.gz`]) if (existsSync(path)) unlinkSync(path);
      }
      // Compressed copies whose original is gone (removed by hand, or a failed earlier build).
      for (const file of filesUnder(outDir)) {
        if (/\.(br|gz)$/.test(file) && !existsSync(file.replace(/\.(br|gz)$/, ''))) unlinkSync(file);
      }
      writeFileSync(ledgerPath, `${JSON.stringify(next, null, 2)}\n`);
      for (const name of current) {
        const file = join(outDir, name);
        if (COMPRESSIBLE.test(name) && existsSync(file) && statSync(file).isFile()) precompress(file);
      }
    },
  };
}

export default defineConfig(({ command }) => ({
  plugins: [react(), assetsLifecycle()],
  // A build prints warnings and errors only (`npm start` builds on first run; 40 lines of sizes drown the
  // admin password). The dev server keeps its address lines.
  logLevel: command === 'build' ? 'warn' : 'info',
  build: {
    outDir: OUT_DIR,
    emptyOutDir: false,
  },
  server: {
    proxy: {
      // Keep the browser's Host header: the server's same-origin check compares Origin with it.
      '/api': { target: backend, changeOrigin: false },
      '/health': backend,
      '/version': backend,
    },
  },
}));
