// Which files of apps/homeport/dist the release ships, and which npm packages they load at run time.
// The build leaves chunks of earlier builds beside the current ones for an hour (apps/homeport/build.mjs), so
// the set is what the entries reach through their imports, not the folder's content.

import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';
import { ReleaseError } from './errors.js';

/** The bundle's entries (build.mjs `entryPoints`): the CLI and the two node:cluster worker entries. */
export const BUNDLE_ENTRIES = ['homeport.js', 'dav-worker.js', 'proxy-worker.js'] as const;

export interface BundleScan {
  /** Files reached from the entries, relative to the dist folder, sorted. */
  files: string[];
  /** npm packages the reached code imports or requires (externals of the build), sorted. */
  imported: string[];
  /** npm packages it only locates with `createRequire(…).resolve(name)`, sorted. */
  resolved: string[];
}

// esbuild's output, which this reads, writes every import with double quotes, one statement from the start of
// a line: `import x from "y";`, `} from "y";` closing a multi-line one, `export … from "y"`, `import "y";`,
// and `import("y")` anywhere. Inlined CommonJS code requires externals through `__require("y")`.
const STATIC_IMPORT = /^(?:import|export)\s(?:[^;"]*?\bfrom\s*)?"([^"]+)"|^\}\s*from\s*"([^"]+)"/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*"([^"]+)"\s*\)/g;
const REQUIRE = /\b(?:__require|require)\(\s*"([^"]+)"\s*\)/g;
// packages/core/src/http/body-validation.ts and friends: `createRequire(import.meta.url).resolve('fastify')`.
const RESOLVE = /\.resolve\(\s*"([^"]+)"\s*\)/g;

const BUILTIN = new Set(builtinModules);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || BUILTIN.has(specifier);

/** `@scope/name/sub/path` → `@scope/name`, `name/sub` → `name`. */
export const packageName = (specifier: string): string =>
  specifier.split('/', specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * Follows the relative imports from each entry of `distDir` and collects the bare specifiers on the way.
 * A relative import of a missing file fails the release: the bundle is incomplete (rebuild it).
 */
export function scanBundle(distDir: string, entries: readonly string[] = BUNDLE_ENTRIES): BundleScan {
  const files = new Set<string>();
  const imported = new Set<string>();
  const resolved = new Set<string>();
  const pending = entries.map((entry) => join(distDir, entry));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const name = relative(distDir, file);
    if (files.has(name)) continue;
    if (!existsSync(file)) {
      throw new ReleaseError(
        'bundle_incomplete',
        `${name} is imported by the bundle but missing from ${distDir}`,
      );
    }
    files.add(name);
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...text.matchAll(STATIC_IMPORT)].map((match) => match[1] ?? match[2]),
      ...[...text.matchAll(DYNAMIC_IMPORT)].map((match) => match[1]),
      ...[...text.matchAll(REQUIRE)].map((match) => match[1]),
    ];
    for (const specifier of specifiers) {
      if (specifier === undefined || isBuiltin(specifier)) continue;
      if (specifier.startsWith('./') || specifier.startsWith('../')) {
        pending.push(normalize(join(dirname(file), specifier)));
      } else {
        imported.add(packageName(specifier));
      }
    }
    for (const match of text.matchAll(RESOLVE)) {
      const specifier = match[1];
      if (specifier !== undefined && !specifier.startsWith('.') && !isBuiltin(specifier))
        resolved.add(packageName(specifier));
    }
  }
  return {
    files: [...files].sort(),
    imported: [...imported].sort(),
    resolved: [...resolved].filter((name) => !imported.has(name)).sort(),
  };
}
