// Maps decoded path segments to files under the export root, following symlinks only where they stay inside it.

import { lstat, realpath, type Stats, stat } from 'node:fs';
import { DavError } from '../errors.js';

export interface Found {
  readonly kind: 'found';
  /** State key ('/' or '/a/b') of the directory entry, with its parent's symlinks resolved. */
  readonly key: string;
  /** Absolute path of the directory entry itself (what DELETE, MOVE and PUT's rename act on). */
  readonly entryPath: string;
  /** Absolute path after following a final symlink (what reads open). */
  readonly targetPath: string;
  /** stat() of targetPath. */
  readonly stats: Stats;
}

export interface Missing {
  readonly kind: 'missing';
  readonly key: string;
  /** Where the resource would be created: the resolved parent plus the name. */
  readonly entryPath: string;
}

/** The parent collection does not exist (or is not a collection): reads answer 404, writes 409. */
export interface Orphan {
  readonly kind: 'orphan';
}

export type Resolved = Found | Missing | Orphan;

/** A checked export root: the real path of a directory. */
export interface ExportRoot {
  readonly real: string;
  /** Whether an absolute real path is the root or lies below it. */
  contains(path: string): boolean;
  resolve(segments: readonly string[]): Promise<Resolved>;
}

/** The errno code of a Node fs error ('ENOENT'…), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

// Plain callback APIs wrapped by hand: they cost measurably less per call than fs/promises on the GET hot path.
const lstatAsync = (path: string) =>
  new Promise<Stats>((resolve, reject) => lstat(path, (e, s) => (e ? reject(e) : resolve(s))));
const statAsync = (path: string) =>
  new Promise<Stats>((resolve, reject) => stat(path, (e, s) => (e ? reject(e) : resolve(s))));
const realpathAsync = (path: string) =>
  new Promise<string>((resolve, reject) => realpath.native(path, (e, p) => (e ? reject(e) : resolve(p))));

/** Errors that mean "nothing there" for a path whose every component we control the spelling of. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Resolution re-checks the real path on every request instead of caching it: a folder swapped for a symlink
 * between two requests must not leak what it points to. What remains is the race between the check and the
 * open, which only someone with write access to the disk can play, and a file opened for reading uses
 * O_NOFOLLOW so a last-moment symlink swap of the final name fails instead of being followed.
 */
export function createExportRoot(real: string): ExportRoot {
  const withSlash = real.endsWith('/') ? real : `${real}/`;
  const contains = (path: string) => path === real || path.startsWith(withSlash);
  const keyFor = (parentReal: string, name: string) =>
    parentReal === real ? `/${name}` : `${parentReal.slice(real.length)}/${name}`;

  async function resolve(segments: readonly string[]): Promise<Resolved> {
    if (segments.length === 0) {
      return { kind: 'found', key: '/', entryPath: real, targetPath: real, stats: await statAsync(real) };
    }
    const name = segments[segments.length - 1] ?? '';
    let parentReal = real;
    if (segments.length > 1) {
      try {
        parentReal = await realpathAsync(`${withSlash}${segments.slice(0, -1).join('/')}`);
      } catch (error) {
        if (ABSENT.has(errnoCode(error) ?? '')) return { kind: 'orphan' };
        throw error;
      }
      // The parent of a new file is checked too: PUT through a symlinked folder must not write outside.
      if (!contains(parentReal)) throw new DavError('outside_root', 'The path leads outside the export');
    }
    const entryPath = parentReal === '/' ? `/${name}` : `${parentReal}/${name}`;
    const key = keyFor(parentReal, name);
    let entry: Stats;
    try {
      entry = await lstatAsync(entryPath);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return { kind: 'missing', key, entryPath };
      if (code === 'ENOTDIR') return { kind: 'orphan' };
      throw error;
    }
    if (!entry.isSymbolicLink())
      return { kind: 'found', key, entryPath, targetPath: entryPath, stats: entry };
    let targetPath: string;
    try {
      targetPath = await realpathAsync(entryPath);
    } catch (error) {
      // A dangling link (or a loop) names nothing; creating over it replaces the link, never its target.
      if (ABSENT.has(errnoCode(error) ?? '')) return { kind: 'missing', key, entryPath };
      throw error;
    }
    if (!contains(targetPath)) throw new DavError('outside_root', 'The path leads outside the export');
    return { kind: 'found', key, entryPath, targetPath, stats: await statAsync(targetPath) };
  }

  return { real, contains, resolve };
}
