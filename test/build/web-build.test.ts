// The web build (real Vite, into a temp folder): brotli and gzip copies next to each asset, and the assets
// of earlier builds kept for a week after a newer build replaced them, then deleted with their copies.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';

const WEB = join(REPO_ROOT, 'apps/web');
const DAY = 24 * 60 * 60 * 1000;

function viteBuild(outDir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      join(WEB, 'node_modules/.bin/vite'),
      ['build', '--outDir', outDir],
      { cwd: WEB, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('web build', () => {
  it('precompresses the assets and keeps a replaced build’s assets for 7 days', async () => {
    const out = tempDir('homeport-web-build-');
    const assets = join(out, 'assets');
    mkdirSync(assets, { recursive: true });
    const chunk = 'export const old = 1;\n'.repeat(200);
    for (const name of ['expired-AAAA.js', 'recent-BBBB.js', 'unseen-CCCC.js']) {
      writeFileSync(join(assets, name), chunk);
      writeFileSync(join(assets, `${name}.br`), 'br');
      writeFileSync(join(assets, `${name}.gz`), 'gz');
    }
    const now = Date.now();
    writeFileSync(
      join(out, '.retired-assets.json'),
      JSON.stringify({ 'assets/expired-AAAA.js': now - 8 * DAY, 'assets/recent-BBBB.js': now - DAY }),
    );

    const build = await viteBuild(out);
    expect(build.code, build.output).toBe(0);
    // Quiet: no table of bundle sizes.
    expect(build.output).not.toMatch(/gzip: +[\d.]+ kB/);

    const files = readdirSync(assets);
    expect(files.filter((name) => name.startsWith('expired-'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['recent-BBBB.js', 'recent-BBBB.js.br', 'unseen-CCCC.js']));
    const ledger = JSON.parse(readFileSync(join(out, '.retired-assets.json'), 'utf8')) as Record<
      string,
      number
    >;
    expect(Object.keys(ledger).sort()).toEqual(['assets/recent-BBBB.js', 'assets/unseen-CCCC.js']);
    expect(ledger['assets/recent-BBBB.js']).toBe(now - DAY);
    expect(ledger['assets/unseen-CCCC.js']).toBeGreaterThanOrEqual(now);

    const index = readFileSync(join(out, 'index.html'), 'utf8');
    const entry = /src="\/(assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(entry).toBeDefined();
    const current = files.filter((name) => /\.(js|css)$/.test(name) && !/-(AAAA|BBBB|CCCC)\./.test(name));
    expect(current).toContain(entry?.slice('assets/'.length));
    for (const name of current) {
      const size = statSync(join(assets, name)).size;
      if (size < 1024) continue;
      expect(existsSync(join(assets, `${name}.br`)), name).toBe(true);
      expect(existsSync(join(assets, `${name}.gz`)), name).toBe(true);
      expect(statSync(join(assets, `${name}.br`)).size).toBeLessThan(size);
    }
  });
});
