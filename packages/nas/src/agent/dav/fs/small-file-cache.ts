// Keeps the bytes of small, settled files in memory so a repeated small-file GET skips the thread pool entirely.

import type { Stats } from 'node:fs';

export interface CachedFile {
  readonly body: Buffer;
  /**
   * Response headers computed once for these bytes (ETag, Last-Modified, Content-Type, Content-Length…), as the
   * flat list writeHead() takes as is; mutable only because writeHead's type asks for it, never changed.
   */
  readonly headers: string[];
  /** The directory entry served (a regular file, never a symlink). */
  readonly entryPath: string;
  /** The lexical parent path and the real path it resolved to; undefined for a file directly in the root. */
  readonly parent: { lexical: string; real: string } | undefined;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface SmallFileCache {
  /** Largest file kept. */
  readonly maxFileBytes: number;
  /** The entry for a request path (its segments joined by '/'), not yet validated. */
  peek(key: string): CachedFile | undefined;
  /** Whether `stats` (of entryPath) still describe the cached bytes. */
  matches(entry: CachedFile, stats: Stats): boolean;
  /** Keeps the entry unless the file changed too recently to trust its timestamps. */
  set(key: string, entry: CachedFile): void;
  delete(key: string): void;
}

export interface SmallFileCacheOptions {
  maxBytes: number;
  maxFileBytes: number;
  clock: () => number;
}

const SETTLE_MS = 2000;

/**
 * Entries are validated against a fresh lstat on every hit, as nginx's open_file_cache does, and dropped when
 * it differs. A file whose mtime or ctime is within the last two seconds is not cached: two writes in one
 * timestamp tick with the same size would look identical (the "racy git" problem); the strong ETag shares that
 * limit, so it is closed here for both. Eviction is first-in first-out, so a hit costs no reordering.
 */
export function createSmallFileCache(options: SmallFileCacheOptions): SmallFileCache {
  const entries = new Map<string, CachedFile>();
  let total = 0;

  const drop = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    total -= entry.size;
  };

  return {
    maxFileBytes: options.maxFileBytes,
    peek: (key) => entries.get(key),
    matches: (entry, stats) =>
      stats.isFile() &&
      entry.ino === stats.ino &&
      entry.size === stats.size &&
      entry.mtimeMs === stats.mtimeMs &&
      entry.ctimeMs === stats.ctimeMs,
    set(key, entry) {
      if (options.maxBytes <= 0 || entry.size > options.maxFileBytes || entry.body.length !== entry.size)
        return;
      const now = options.clock();
      if (now - entry.mtimeMs < SETTLE_MS || now - entry.ctimeMs < SETTLE_MS) return;
      drop(key);
      while (total + entry.size > options.maxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        drop(oldest.value);
      }
      entries.set(key, entry);
      total += entry.size;
    },
    delete: drop,
  };
}
