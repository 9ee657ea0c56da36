// Hidden temp files for uploads and copies: created next to their destination (same filesystem, so the final
// rename is atomic) under a name no URL can reach and no listing shows.

import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writev, writevSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '@homeport/core';
import { TEMP_PREFIX } from '../request-path.js';
import { errnoCode } from './resolve.js';

export function tempPathNear(destination: string): string {
  return join(dirname(destination), `${TEMP_PREFIX}${randomUUID()}`);
}

/** Removes a temp file or tree; a failure is logged, not thrown, because the request's own error matters more. */
export async function removeQuietly(path: string, log: Logger | undefined): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') log?.warn({ err: error, path }, 'could not remove a webdav temp file');
  }
}

/** Bytes gathered from the socket before they are written: few, large writes (the socket gives 64 KiB). */
const WRITE_BYTES = 1024 * 1024;
/**
 * A 1 MiB write into the page cache takes a fraction of a millisecond; one that takes longer means the kernel
 * is throttling writers (dirty pages past vm.dirty_ratio) or the disk is slow, and from then on the upload's
 * writes go through the thread pool so other requests are not held.
 */
const INLINE_WRITE_BUDGET_MS = 4;
/**
 * With writes in the thread pool, the socket keeps being read while one write runs (reading and writing
 * overlap, as a write stream does); only when this much is waiting is the body paused.
 */
const MAX_BACKLOG_BYTES = 4 * WRITE_BYTES;

export interface WriteBodyOptions {
  /** How long one write on the event loop may take before the rest go through the thread pool. */
  inlineBudgetMs?: number;
}

function writeAllSync(fd: number, chunks: Buffer[]): void {
  let rest = chunks;
  while (rest.length > 0) {
    let written = writevSync(fd, rest);
    const left: Buffer[] = [];
    for (const chunk of rest) {
      if (written >= chunk.length) written -= chunk.length;
      else {
        left.push(written === 0 ? chunk : chunk.subarray(written));
        written = 0;
      }
    }
    rest = left;
  }
}

function writeAll(fd: number, chunks: Buffer[], done: (error: Error | null) => void): void {
  writev(fd, chunks, (error, written) => {
    if (error) return done(error);
    let skip = written;
    const left: Buffer[] = [];
    for (const chunk of chunks) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        left.push(skip === 0 ? chunk : chunk.subarray(skip));
        skip = 0;
      }
    }
    if (left.length === 0) return done(null);
    writeAll(fd, left, done);
  });
}

/**
 * Writes a request body to a new file at `path` (refused if it exists), gathering 1 MiB before each write.
 * Writes are made on the event loop while each takes less than INLINE_WRITE_BUDGET_MS, as nginx's worker
 * writes its temp file: a thread-pool write per megabyte costs a hand-off and a third busy thread (client,
 * event loop, pool) on a two-core machine (bench/webdav/README.md has the A/B runs). Once the kernel
 * throttles the writer (a 1 GiB upload here), writes go to the thread pool and the socket is read while each
 * runs, up to MAX_BACKLOG_BYTES ahead. Rejects when the body ends early (the client hung up) or a write
 * fails; the file is left for the caller to remove.
 */
export function writeBodyToNewFile(
  body: Readable,
  path: string,
  options: WriteBodyOptions = {},
): Promise<void> {
  const budgetMs = options.inlineBudgetMs ?? INLINE_WRITE_BUDGET_MS;
  return new Promise((resolve, reject) => {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      reject(error);
      return;
    }
    let chunks: Buffer[] = [];
    let gathered = 0;
    let inline = true;
    let writing = false;
    let ended = false;
    let settled = false;
    let failure: unknown;
    const finish = (error: unknown) => {
      closeSync(fd);
      if (error === undefined) resolve();
      else reject(error);
    };
    const settle = (error: unknown) => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', settle);
      // A write in the thread pool still uses the descriptor: closing it now could let a file opened
      // meanwhile take its number and receive the write. Its callback closes it.
      if (writing) failure = error;
      else finish(error);
    };
    const take = () => {
      const batch = chunks;
      chunks = [];
      gathered = 0;
      return batch;
    };
    const flush = () => {
      if (gathered === 0) {
        if (ended) settle(undefined);
        return;
      }
      if (inline) {
        const started = performance.now();
        try {
          writeAllSync(fd, take());
        } catch (error) {
          settle(error);
          return;
        }
        if (performance.now() - started > budgetMs) inline = false;
        if (ended) settle(undefined);
        return;
      }
      writing = true;
      writeAll(fd, take(), (error) => {
        writing = false;
        if (settled) return finish(failure);
        if (error) return settle(error);
        if (ended || gathered >= WRITE_BYTES) return flush();
        if (body.isPaused()) body.resume();
      });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      gathered += chunk.length;
      if (gathered < WRITE_BYTES) return;
      if (!writing) flush();
      // The disk is behind the socket: stop reading until the write in flight is done.
      else if (gathered >= MAX_BACKLOG_BYTES) body.pause();
    };
    const onEnd = () => {
      ended = true;
      if (!writing) flush();
    };
    // 'close' without 'end': the client went away mid-body.
    const onClose = () => {
      if (!ended) settle(new Error('The client closed the connection before the body ended'));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('close', onClose);
    body.on('error', settle);
  });
}
