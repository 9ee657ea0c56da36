// GET and HEAD: files streamed with Range and conditional requests, small files from memory, folders as HTML.

import { close, constants, createReadStream, fstat, open, read, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { contentTypeOf } from '../content-type.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { etagOf, httpDate } from '../etag.js';
import type { Found } from '../fs/resolve.js';
import { checkHttpConditions, ifRangeHolds } from '../http-conditions.js';
import { evaluateIf } from '../preconditions.js';
import { planRange } from '../range.js';
import { sendListing } from './listing.js';

/** Read size of streamed files: large reads keep the syscall count (and the event-loop turns) per GiB low. */
const STREAM_CHUNK = 1024 * 1024;
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

function fileHeaders(stats: Stats, name: string): string[] {
  return [
    'ETag',
    etagOf(stats),
    'Last-Modified',
    httpDate(stats.mtimeMs),
    'Content-Type',
    contentTypeOf(name),
    'Accept-Ranges',
    'bytes',
  ];
}

async function sendFile(r: DavRequest, file: Found, head: boolean): Promise<void> {
  const { req, res, ctx } = r;
  let stats = file.stats;
  const name = r.path.segments[r.path.segments.length - 1] ?? '';
  if (checkHttpConditions(req, stats, true) === 'not_modified') {
    res.writeHead(304, fileHeaders(stats, name).slice(0, 4));
    res.end();
    return;
  }
  // A server must ignore Range on anything but GET (RFC 9110 14.2), HEAD included.
  const range = head || !ifRangeHolds(req, stats) ? undefined : req.headers.range;
  const small = stats.size <= ctx.smallFiles.maxFileBytes;
  if (small && range === undefined) {
    const cached = ctx.smallFiles.get(file.targetPath, stats);
    if (cached !== undefined) {
      res.writeHead(200, [...cached.headers, 'Content-Length', String(cached.body.length)]);
      res.end(head ? undefined : cached.body);
      return;
    }
  }
  if (head) {
    res.writeHead(200, [...fileHeaders(stats, name), 'Content-Length', String(stats.size)]);
    res.end();
    return;
  }
  const fd = await openAsync(file.targetPath);
  let streaming = false;
  try {
    if (small && range === undefined) {
      const body = Buffer.allocUnsafe(stats.size);
      const length = await readAsync(fd, body);
      const headers = fileHeaders(stats, name);
      // A file that shrank between the lstat and the read: send what was read, cache nothing.
      if (length === stats.size) ctx.smallFiles.set(file.targetPath, stats, body, headers);
      res.writeHead(200, [...headers, 'Content-Length', String(length)]);
      res.end(length === body.length ? body : body.subarray(0, length));
      return;
    }
    // The size and validators of a streamed file come from the open descriptor, so headers and bytes agree.
    stats = await fstatAsync(fd);
    const plan = planRange(range, stats.size);
    const headers = fileHeaders(stats, name);
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
    streaming = true;
    const stream = createReadStream('', { fd, start, end, highWaterMark: STREAM_CHUNK, autoClose: true });
    try {
      await pipeline(stream, res);
    } catch (error) {
      // The client went away mid-download: nothing to answer, nothing to log as a failure.
      if (res.destroyed && !res.writableFinished) return;
      throw error;
    }
  } finally {
    if (!streaming) closeQuietly(fd);
  }
}
