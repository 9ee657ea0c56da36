// Runs `npm run build` when a bundle is missing or older than any source file, so `npm start` works
// from a fresh clone and stays fast afterwards. Quiet: one line while it builds, the build's own output only
// when it fails (the first start's admin password must not scroll away under bundle sizes).

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outputs = ['apps/homeport/dist/homeport.js', 'apps/web/dist/index.html'].map((path) =>
  join(root, path),
);
const sources = ['packages', 'apps/homeport/src', 'apps/web/src', 'apps/web/index.html'].map((path) =>
  join(root, path),
);

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'test') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const built = Math.min(...outputs.map((path) => (existsSync(path) ? statSync(path).mtimeMs : 0)));
if (built === 0 || Math.max(...sources.map(newest)) > built) {
  const started = Date.now();
  process.stdout.write('Building Homeport (web UI and server; sources changed since the last build)… ');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) {
    process.stdout.write('failed:\n');
    process.stderr.write(
      `${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `${build.error.message}\n` : ''}`,
    );
    process.exit(build.status ?? 1);
  }
  process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
