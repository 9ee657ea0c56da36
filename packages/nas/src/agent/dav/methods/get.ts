// GET and HEAD: files streamed with Range and conditional requests, small files from memory, folders as HTML.

import { close, constants, fstat, lstatSync, open, read, realpathSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { userContentHeaders } from '../content-headers.js';
import { contentTypeOf } from '../content-type.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { etagOf, httpDate } from '../etag.js';
import type { Found } from '../fs/resolve.js';
import { streamFile } from '../fs/stream-file.js';
import { checkHttpConditions, ifRangeHolds } from '../http-conditions.js';
import { evaluateIf } from '../preconditions.js';
import { planRange } from '../range.js';
import { sendListing } from './listing.js';

// O_NOFOLLOW: targetPath is a real path, so a symlink there now means it was swapped in after the check.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;

const openAsync = (path: string) =>
  new Promise<number>((resolve, reject) => open(path, READ_FLAGS, (e, fd) => (e ? reject(e) : resolve(fd))));
const fstatAsync = (fd: number) =>
  new Promise<Stats>((resolve, reject) => fstat(fd, (e, s) => (e ? reject(e) : resolve(s))));
const readAsync = (fd: number, buffer: Buffer) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, 0, (e, n) => (e ? reject(e) : resolve(n))),
  );
const closeQuietly = (fd: number) =>
  close(fd, () => {
    // A close error on a read-only descriptor loses nothing; the fd is released either way.
  });

export async function handleGet(r: DavRequest, head: boolean): Promise<void> {
  if (serveCached(r, head)) return;
  const resolved = await r.ctx.root.resolve(r.path.segments);
  if (resolved.kind !== 'found') throw new DavError('not_found', 'No such resource');
  if (r.req.headers.if !== undefined) await evaluateIf(r, resolved);
  if (resolved.stats.isDirectory()) {
    // Finder issues GET on folders while mounting and gives up on anything but 200.
    await sendListing(r, resolved, head);
    return;
  }
  // FIFOs and devices would block or never end; a trailing slash on a file names nothing (as ENOTDIR would).
  if (!resolved.stats.isFile() || r.path.trailingSlash) throw new DavError('not_found', 'No such resource');
  await sendFile(r, resolved, head);
}

/** Request headers that make a GET more than "send the whole file": those go the full way. */
const CONDITIONAL_HEADERS = [
  'range',
  'if',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
];

/**
 * The small-file fast path: a cached file is re-validated with synchronous calls (realpath of its folder when
 * it is not in the root, lstat of the file) and sent without a single thread-pool round trip, which costs
 * more CPU than the 4 KiB it serves. Blocking is acceptable here only because these are files served moments
 * ago, whose directory entries and inodes the kernel has cached; everything else takes the asynchronous path.
 */
function serveCached(r: DavRequest, head: boolean): boolean {
  const { req, res, ctx } = r;
  // The cached headers are the inline ones; a download takes the full way (still fast: 4 KiB files).
  if (r.scope.attachment === true || r.path.trailingSlash || r.path.segments.length === 0) return false;
  for (const name of CONDITIONAL_HEADERS) if (req.headers[name] !== undefined) return false;
  const key = r.path.segments.join('/');
  const entry = ctx.smallFiles.peek(key);
  if (entry === undefined) return false;
  try {
    // The same checks resolve() makes: the folder still resolves to the same real (checked) path, and the
    // name is still the same plain file.
    const fresh =
      (entry.parent === undefined || realpathSync.native(entry.parent.lexical) === entry.parent.real) &&
      ctx.smallFiles.matches(entry, lstatSync(entry.entryPath));
    if (!fresh) {
      ctx.smallFiles.delete(key);
      return false;
    }
  } catch {
    // Gone or unreadable: the asynchronous path finds out again and answers properly.
    ctx.smallFiles.delete(key);
    return false;
  }
  res.writeHead(200, entry.headers);
  res.end(head ? undefined : entry.body);
  return true;
}

/** Caches a small plain file just read (never one reached through a symlink: its target could change). */
function remember(r: DavRequest, file: Found, stats: Stats, body: Buffer, headers: string[]): void {
  if (file.entryPath !== file.targetPath || r.scope.attachment === true) return;
  const { segments } = r.path;
  const parent =
    segments.length > 1
      ? { lexical: `${r.ctx.root.real}/${segments.slice(0, -1).join('/')}`, real: dirname(file.entryPath) }
      : undefined;
  r.ctx.smallFiles.set(segments.join('/'), {
    body,
    headers,
    entryPath: file.entryPath,
    parent,
    ino: stats.ino,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    ctimeMs: stats.ctimeMs,
  });
}

/** ETag and Last-Modified come first: a 304 sends just those four entries. */
function fileHeaders(stats: Stats, name: string, attachment: boolean): string[] {
  const type = contentTypeOf(name);
  return [
    'ETag',
    etagOf(stats),
    'Last-Modified',
    httpDate(stats.mtimeMs),
    'Content-Type',
    type,
    'Accept-Ranges',
    'bytes',
    ...userContentHeaders(name, type, attachment),
  ];
}

async function sendFile(r: DavRequest, file: Found, head: boolean): Promise<void> {
  const { req, res, ctx } = r;
  let stats = file.stats;
  const name = r.path.segments[r.path.segments.length - 1] ?? '';
  const attachment = r.scope.attachment === true;
  if (checkHttpConditions(req, stats, true) === 'not_modified') {
    res.writeHead(304, fileHeaders(stats, name, attachment).slice(0, 4));
    res.end();
    return;
  }
  // A server must ignore Range on anything but GET (RFC 9110 14.2), HEAD included.
  const range = head || !ifRangeHolds(req, stats) ? undefined : req.headers.range;
  const small = stats.size <= ctx.smallFiles.maxFileBytes;
  if (head) {
    res.writeHead(200, [...fileHeaders(stats, name, attachment), 'Content-Length', String(stats.size)]);
    res.end();
    return;
  }
  const fd = await openAsync(file.targetPath);
  try {
    if (small && range === undefined) {
      const body = Buffer.allocUnsafe(stats.size);
      const length = await readAsync(fd, body);
      const headers = [...fileHeaders(stats, name, attachment), 'Content-Length', String(length)];
      // A file that shrank between the lstat and the read: send what was read, cache nothing.
      if (length === stats.size) remember(r, file, stats, body, headers);
      res.writeHead(200, headers);
      res.end(length === body.length ? body : body.subarray(0, length));
      return;
    }
    // The size and validators of a streamed file come from the open descriptor, so headers and bytes agree.
    stats = await fstatAsync(fd);
    const plan = planRange(range, stats.size);
    const headers = fileHeaders(stats, name, attachment);
    if (plan.kind === 'unsatisfiable') {
      throw new DavError('range_not_satisfiable', 'The Range is outside the file', {
        headers: { 'Content-Range': `bytes */${stats.size}` },
      });
    }
    const start = plan.kind === 'partial' ? plan.start : 0;
    const end = plan.kind === 'partial' ? plan.end : stats.size - 1;
    if (plan.kind === 'partial') {
      res.writeHead(206, [
        ...headers,
        'Content-Range',
        `bytes ${start}-${end}/${stats.size}`,
        'Content-Length',
        String(end - start + 1),
      ]);
    } else {
      res.writeHead(200, [...headers, 'Content-Length', String(stats.size)]);
    }
    if (end < start) {
      res.end();
      return;
    }
    try {
      await streamFile(fd, start, end, res, ctx.buffers);
    } catch (error) {
      // The client went away mid-download: nothing to answer, nothing to log as a failure.
      if (res.destroyed) return;
      throw error;
    }
  } finally {
    closeQuietly(fd);
  }
}
