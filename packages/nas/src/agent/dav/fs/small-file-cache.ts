// Keeps the bytes of small, settled files in memory so a hot small-file GET costs one lstat and no open/read.

import type { Stats } from 'node:fs';

export interface CachedFile {
  readonly body: Buffer;
  /** Response headers computed once for these bytes (ETag, Last-Modified, Content-Type…), as a flat list. */
  readonly headers: readonly string[];
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface SmallFileCache {
  /** Largest file kept. */
  readonly maxFileBytes: number;
  /** The cached bytes when inode, size, mtime and ctime still match `stats`. */
  get(path: string, stats: Stats): CachedFile | undefined;
  /** Keeps `body` unless the file changed too recently to trust its timestamps. */
  set(path: string, stats: Stats, body: Buffer, headers: readonly string[]): void;
  delete(path: string): void;
}

export interface SmallFileCacheOptions {
  maxBytes: number;
  maxFileBytes: number;
  clock: () => number;
}

/**
 * Entries are validated against a fresh stat on every hit, as nginx's open_file_cache does. A file whose mtime or
 * ctime is within the last two seconds is not cached: two writes in the same timestamp tick with the same size
 * would look identical (the "racy git" problem), and the strong ETag shares that limit, so it is closed here for
 * both. Eviction is first-in first-out: a hit costs no reordering.
 */
export function createSmallFileCache(options: SmallFileCacheOptions): SmallFileCache {
  const entries = new Map<string, CachedFile>();
  let total = 0;
  const SETTLE_MS = 2000;

  const drop = (path: string) => {
    const entry = entries.get(path);
    if (entry === undefined) return;
    entries.delete(path);
    total -= entry.size;
  };

  return {
    maxFileBytes: options.maxFileBytes,
    get(path, stats) {
      const entry = entries.get(path);
      if (entry === undefined) return undefined;
      if (
        entry.ino === stats.ino &&
        entry.size === stats.size &&
        entry.mtimeMs === stats.mtimeMs &&
        entry.ctimeMs === stats.ctimeMs
      ) {
        return entry;
      }
      drop(path);
      return undefined;
    },
    set(path, stats, body, headers) {
      if (options.maxBytes <= 0 || body.length > options.maxFileBytes || body.length !== stats.size) return;
      const now = options.clock();
      if (now - stats.mtimeMs < SETTLE_MS || now - stats.ctimeMs < SETTLE_MS) return;
      drop(path);
      while (total + body.length > options.maxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        drop(oldest.value);
      }
      entries.set(path, {
        body,
        headers,
        ino: stats.ino,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        ctimeMs: stats.ctimeMs,
      });
      total += body.length;
    },
    delete: drop,
  };
}
