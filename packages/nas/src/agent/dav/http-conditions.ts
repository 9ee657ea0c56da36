// HTTP conditional requests (RFC 9110 13.2.2 order): If-Match, If-Unmodified-Since, If-None-Match,
// If-Modified-Since, and If-Range for ranged GETs.

import type { Stats } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.js';
import { etagOf } from './etag.js';
import { headerOf } from './headers.js';

const ETAG_ITEM = /(W\/)?"[^"]*"/g;

function tags(value: string): string[] {
  return value.match(ETAG_ITEM) ?? [];
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
const seconds = (ms: number) => Math.floor(ms / 1000);

/** An HTTP date in milliseconds, or undefined when it does not parse (then the header is ignored). */
function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Throws 412 when a precondition fails; returns 'not_modified' when a GET/HEAD should get 304. `stats` is
 * undefined when the resource does not exist (If-Match then fails, If-None-Match: * holds).
 */
export function checkHttpConditions(
  req: IncomingMessage,
  stats: Stats | undefined,
  read: boolean,
): 'proceed' | 'not_modified' {
  const { headers } = req;
  const current = stats === undefined ? undefined : etagOf(stats);
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    // Strong comparison: a weak tag never matches for If-Match.
    const ok = current !== undefined && (ifMatch.trim() === '*' || tags(ifMatch).includes(current));
    if (!ok) throw new DavError('precondition_failed', 'If-Match does not match the current ETag');
  } else if (stats !== undefined) {
    const since = parseDate(headers['if-unmodified-since']);
    if (since !== undefined && seconds(stats.mtimeMs) > seconds(since)) {
      throw new DavError('precondition_failed', 'The resource was modified after If-Unmodified-Since');
    }
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // Weak comparison (RFC 9110 13.1.2).
    const matched =
      current !== undefined &&
      (ifNoneMatch.trim() === '*' || tags(ifNoneMatch).some((tag) => opaque(tag) === opaque(current)));
    if (matched) {
      if (read) return 'not_modified';
      throw new DavError('precondition_failed', 'If-None-Match matches the current ETag');
    }
  } else if (read && stats !== undefined) {
    const since = parseDate(headers['if-modified-since']);
    if (since !== undefined && seconds(stats.mtimeMs) <= seconds(since)) return 'not_modified';
  }
  return 'proceed';
}

/** If-Range: whether a Range header may be honoured (the validator still matches the file). */
export function ifRangeHolds(req: IncomingMessage, stats: Stats): boolean {
  const value = headerOf(req, 'if-range');
  if (value === undefined) return true;
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return trimmed === etagOf(stats);
  const date = parseDate(trimmed);
  return date !== undefined && seconds(stats.mtimeMs) === seconds(date);
}
