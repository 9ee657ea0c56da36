// Writes a request body into an open file as it arrives — WebDAV PUT's temp file and a resumable upload's
// part alike: 1 MiB gathered per write, at most `room` bytes, and the choice of where writes run.
//
// Writes are made on the event loop while each takes less than INLINE_WRITE_BUDGET_MS, as nginx's worker
// writes its temp file: a thread-pool write per megabyte costs a hand-off and a third busy thread (client,
// event loop, pool) on a two-core machine (bench/webdav/README.md has the A/B runs). Once one takes longer —
// the kernel throttling writers past vm.dirty_ratio (a 1 GiB upload here), a slow disk — the rest go to the
// thread pool so other requests are not held, and the socket is read while each runs, up to
// MAX_BACKLOG_BYTES ahead, then paused until the disk catches up.

import { writev, writevSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Bytes gathered from the socket before they are written (the socket gives 64 KiB at a time). */
const WRITE_BYTES = 1024 * 1024;
/** A 1 MiB write into the page cache takes a fraction of a millisecond; a longer one means throttling. */
const INLINE_WRITE_BUDGET_MS = 4;
/** With writes in the thread pool, how far the socket is read ahead of the disk. */
const MAX_BACKLOG_BYTES = 4 * WRITE_BYTES;

export interface BodyWriteOptions {
  /** The most bytes taken from the body; what comes after them makes the outcome `overflow`. */
  room?: number;
  /** How long one write on the event loop may take before the rest go through the thread pool. */
  inlineBudgetMs?: number;
}

export interface BodyWriteOutcome {
  /** Bytes written from `position` on, all in place. */
  written: number;
  /**
   * `ended`: the whole body is in. `aborted`: the client went away mid-body (what came is written).
   * `overflow`: the body was longer than `room` (what fit is written; the body is paused, not destroyed).
   */
  how: 'ended' | 'aborted' | 'overflow';
}

/** What a partial writev left of `chunks` after `written` bytes. */
function after(chunks: Buffer[], written: number): Buffer[] {
  let skip = written;
  const left: Buffer[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) skip -= chunk.length;
    else {
      left.push(skip === 0 ? chunk : chunk.subarray(skip));
      skip = 0;
    }
  }
  return left;
}

function writeAllSync(fd: number, chunks: Buffer[], position: number): number {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    const written = writevSync(fd, rest, at);
    at += written;
    rest = after(rest, written);
  }
  return at - position;
}

function writeAll(
  fd: number,
  chunks: Buffer[],
  position: number,
  done: (error: Error | null, count: number) => void,
) {
  const step = (rest: Buffer[], at: number) =>
    writev(fd, rest, at, (error, written) => {
      if (error) return done(error, at - position);
      const left = after(rest, written);
      if (left.length === 0) return done(null, at + written - position);
      step(left, at + written);
    });
  step(chunks, position);
}

/**
 * Writes `body` into the open file `fd` from `position`. Resolves once everything taken from the body is
 * written (never while a write is in flight: the caller may close `fd` then); rejects when a write fails,
 * after any write in flight has finished.
 */
export function writeBody(
  body: Readable,
  fd: number,
  position: number,
  options: BodyWriteOptions = {},
): Promise<BodyWriteOutcome> {
  const room = options.room ?? Number.POSITIVE_INFINITY;
  const budgetMs = options.inlineBudgetMs ?? INLINE_WRITE_BUDGET_MS;
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let gathered = 0;
    let written = 0;
    let inline = true;
    let writing = false;
    let failed = false;
    /** Set once no more bytes will be taken from the body. */
    let outcome: BodyWriteOutcome['how'] | undefined;

    const detach = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', onClose);
    };
    const fail = (error: unknown) => {
      failed = true;
      detach();
      body.pause();
      reject(error);
    };
    const take = () => {
      const batch = chunks;
      chunks = [];
      gathered = 0;
      return batch;
    };
    /** Makes the next write when there is one to make, or resolves once everything taken is written. */
    const pump = (): void => {
      if (writing || failed) return;
      if (gathered === 0 || (gathered < WRITE_BYTES && outcome === undefined)) {
        if (outcome !== undefined) resolve({ written, how: outcome });
        else if (body.isPaused()) body.resume();
        return;
      }
      if (inline) {
        const started = performance.now();
        try {
          written += writeAllSync(fd, take(), position + written);
        } catch (error) {
          fail(error);
          return;
        }
        if (performance.now() - started > budgetMs) inline = false;
        pump();
        return;
      }
      writing = true;
      writeAll(fd, take(), position + written, (error, count) => {
        writing = false;
        written += count;
        if (error) fail(error);
        else pump();
      });
    };
    const stop = (how: BodyWriteOutcome['how']) => {
      if (outcome !== undefined) return;
      outcome = how;
      detach();
      pump();
    };
    const onData = (chunk: Buffer) => {
      const left = room - written - gathered;
      if (chunk.length > left) {
        if (left > 0) {
          chunks.push(chunk.subarray(0, left));
          gathered += left;
        }
        body.pause();
        stop('overflow');
        return;
      }
      chunks.push(chunk);
      gathered += chunk.length;
      if (gathered < WRITE_BYTES) return;
      if (!writing) pump();
      // The disk is behind the socket: stop reading until the write in flight is done.
      else if (gathered >= MAX_BACKLOG_BYTES) body.pause();
    };
    const onEnd = () => stop('ended');
    // 'close' (or an 'aborted' error) before 'end': the client hung up mid-body.
    const onClose = () => stop('aborted');
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('close', onClose);
    body.on('error', onClose);
  });
}
