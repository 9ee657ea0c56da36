// Appends a request body to an upload's part file at a given offset, as it arrives: 1 MiB gathered per write,
// the socket paused while a write is in flight (backpressure), never more than the upload has room for.

import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Bytes gathered from the socket before they are written (the socket gives 64 KiB at a time). */
const WRITE_BYTES = 1024 * 1024;
/** Bytes read ahead of the disk while a write runs. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

export interface AppendOutcome {
  /** Bytes written to the part, all at their place: the new offset is the old one plus these. */
  written: number;
  /**
   * 'ended': the whole body is in. 'aborted': the client went away mid-body (what came is kept: a resumed
   * upload continues after it). 'overflow': the body was longer than the room left (what fit is kept).
   */
  how: 'ended' | 'aborted' | 'overflow';
}

/**
 * A 1 MiB write into the page cache takes a fraction of a millisecond; once one takes longer (the kernel
 * throttles writers, or the disk is slow) the rest go through the thread pool. Inline writes spare a hand-off
 * per megabyte on a two-core machine, as PUT's do (dav/fs/temp-files.ts).
 */
const INLINE_WRITE_BUDGET_MS = 4;

/** Chunks not yet written once `count` bytes of them were. */
function after(chunks: Buffer[], count: number): Buffer[] {
  let skip = count;
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
    const count = writevSync(fd, rest, at);
    at += count;
    rest = after(rest, count);
  }
  return at - position;
}

async function writeAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<number> {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    at += bytesWritten;
    rest = after(rest, bytesWritten);
  }
  return at - position;
}

/**
 * Writes `body` into `handle` from `position`, at most `room` bytes. Rejects only when a write fails (the
 * bytes written before stay; the caller answers with the error). The socket is read while a write runs, up to
 * MAX_BACKLOG_BYTES ahead (as PUT does, dav/fs/temp-files.ts), then paused until the disk catches up. The body
 * is not destroyed on overflow, so the caller can still answer; the agent's front closes a connection whose
 * body was not read to the end.
 */
export function appendBody(
  body: Readable,
  handle: FileHandle,
  position: number,
  room: number,
): Promise<AppendOutcome> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let gathered = 0;
    let written = 0;
    let writing = false;
    let inline = true;
    let failed = false;
    /** Set once no more bytes will be taken from the body. */
    let outcome: AppendOutcome['how'] | undefined;

    const detach = () => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      body.off('error', onClose);
    };
    /** Starts the next write when there is one to make, or resolves once everything taken is written. */
    const pump = () => {
      if (writing || failed) return;
      if (gathered === 0 || (gathered < WRITE_BYTES && outcome === undefined)) {
        if (outcome !== undefined) resolve({ written, how: outcome });
        else if (body.isPaused()) body.resume();
        return;
      }
      const batch = chunks;
      chunks = [];
      gathered = 0;
      if (inline) {
        const started = performance.now();
        try {
          written += writeAllSync(handle.fd, batch, position + written);
        } catch (error) {
          failed = true;
          detach();
          body.pause();
          reject(error);
          return;
        }
        if (performance.now() - started > INLINE_WRITE_BUDGET_MS) inline = false;
        pump();
        return;
      }
      writing = true;
      writeAll(handle, batch, position + written).then(
        (count) => {
          written += count;
          writing = false;
          pump();
        },
        (error: unknown) => {
          writing = false;
          failed = true;
          detach();
          body.pause();
          reject(error);
        },
      );
    };
    const stop = (how: AppendOutcome['how']) => {
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
