// The web UI the release ships: apps/web/dist as the last build wrote it, without the assets of earlier
// builds it keeps for a week (for tabs opened before an upgrade; a fresh install has none).

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The web UI's files of the current build: the assets of earlier builds it keeps a week are left out. */
export function copyWebUi(webDist: string, target: string): void {
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
