// Copies one npm package into the release without what never runs: its tests and docs, TypeScript sources and
// declarations, source maps, and a native addon's C/C++ sources and build intermediates (better-sqlite3 ships
// SQLite's source, ~10 MB, and its build leaves object files: only build/Release/*.node is loaded).

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Folders at a package's root that hold no code it runs. */
const ROOT_FOLDERS_LEFT_OUT = new Set([
  'test',
  'tests',
  '__tests__',
  'docs',
  'doc',
  'example',
  'examples',
  'benchmark',
  'benchmarks',
  'coverage',
  '.github',
]);
/** Files no running package loads (a licence is kept whatever its extension). */
const FILES_LEFT_OUT = /\.(d\.[cm]?ts|[cm]?ts|tsx|map|md|markdown)$/i;
const LICENCE = /^(licen[cs]e|copying|notice|authors)/i;
const SCRIPT = /\.(c|m)?js$|\.json$|\.node$/;

/** Whether a folder holds anything Node could load (script, JSON, addon). */
function holdsScripts(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? holdsScripts(join(dir, entry.name)) : SCRIPT.test(entry.name),
  );
}

/** The top folders a package's `main` and `exports` name (`lib` for `./lib/index.js`). */
function entryFolders(packageDir: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    main?: string;
    exports?: unknown;
  }; // npm wrote it
  const paths = [
    manifest.main ?? 'index.js',
    ...(JSON.stringify(manifest.exports ?? '').match(/"\.\/[^"]+"/g) ?? []),
  ];
  return new Set(paths.map((path) => path.replace(/^"?(\.\/)?/, '').split('/')[0] ?? ''));
}

/**
 * In a native addon's folder (it has binding.gyp), `src/` and `deps/` are its C/C++ sources and the scripts
 * that build them (better-sqlite3's deps/copy.js): left out unless the package's entry lies there, or, in an
 * addon folder below the root (ssh2's lib/protocol/crypto), unless they hold scripts.
 */
function keepInAddonFolder(dir: string, name: string, entries: Set<string> | undefined): boolean {
  if (name !== 'src' && name !== 'deps') return true;
  return entries === undefined ? holdsScripts(join(dir, name)) : entries.has(name);
}

function copyAddons(buildDir: string, to: string): number {
  const release = join(buildDir, 'Release');
  if (!existsSync(release)) return 0;
  const addons = readdirSync(release).filter((name) => name.endsWith('.node'));
  if (addons.length > 0) mkdirSync(join(to, 'Release'), { recursive: true });
  for (const name of addons) copyFileSync(join(release, name), join(to, 'Release', name));
  return addons.length;
}

/**
 * Copies `source` (an installed package) to `target`, leaving nested node_modules out (each package there is
 * copied on its own when it is needed). Returns the number of files copied.
 */
export function copyPackage(source: string, target: string): number {
  let files = 0;
  // Folders are made when a file lands in them: one holding only declarations leaves no empty folder.
  const copyDir = (from: string, to: string, atRoot: boolean): void => {
    const entries = readdirSync(from, { withFileTypes: true });
    const addonFolder = entries.some((entry) => entry.isFile() && entry.name === 'binding.gyp');
    const entryDirs = addonFolder && atRoot ? entryFolders(from) : undefined;
    for (const entry of entries) {
      const path = join(from, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules') continue;
        if (atRoot && ROOT_FOLDERS_LEFT_OUT.has(entry.name)) continue;
        if (addonFolder && entry.name === 'build') {
          files += copyAddons(path, join(to, 'build'));
          continue;
        }
        if (addonFolder && !keepInAddonFolder(from, entry.name, entryDirs)) continue;
        copyDir(path, join(to, entry.name), false);
      } else if (entry.isFile()) {
        if (FILES_LEFT_OUT.test(entry.name) && !LICENCE.test(entry.name)) continue;
        mkdirSync(to, { recursive: true });
        copyFileSync(path, join(to, entry.name));
        files += 1;
      }
      // Symbolic links (a package's own .bin shims) are not part of what it runs.
    }
  };
  copyDir(source, target, true);
  return files;
}
