// Validators and dates of a file: the strong ETag clients compare, and the two date formats DAV uses.

import type { Stats } from 'node:fs';

/**
 * A strong ETag from inode, size and mtime (microseconds). PUT writes a new file and renames it into place, so
 * every upload through us changes the inode even when size and mtime happen to match.
 */
export function etagOf(stats: Stats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.round(stats.mtimeMs * 1000).toString(16)}"`;
}

/** RFC 1123 date, as Last-Modified and DAV:getlastmodified want. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** RFC 3339 date for DAV:creationdate, whole seconds. */
export function isoDate(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Creation time when the filesystem records one (birthtime is 0 where it does not), else the change time. */
export function creationMs(stats: Stats): number {
  return stats.birthtimeMs > 0 ? stats.birthtimeMs : Math.min(stats.ctimeMs, stats.mtimeMs);
}
