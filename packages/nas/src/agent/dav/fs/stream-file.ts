// Sends a byte range of an open file to the response through two reused buffers: the next chunk is read while the
// previous one is written, and no memory is allocated per chunk.

import { read } from 'node:fs';
import type { ServerResponse } from 'node:http';

/**
 * Chunk size: big enough that per-chunk costs (a thread-pool round trip, a write syscall) vanish next to the
 * copying, small enough to stay out of the way of other requests. Fresh 1 MiB buffers per chunk (what
 * fs.createReadStream does) cost page faults and garbage collection: on a 1 GiB download that was most of the
 * server's CPU.
 */
export const STREAM_CHUNK = 1024 * 1024;

/** Spare chunk buffers kept between requests, so a series of downloads allocates nothing. */
export interface BufferPool {
  take(): Buffer;
  give(buffer: Buffer): void;
}

export function createBufferPool(maxKept: number): BufferPool {
  const free: Buffer[] = [];
  return {
    take: () => free.pop() ?? Buffer.allocUnsafeSlow(STREAM_CHUNK),
    give: (buffer) => {
      if (free.length < maxKept) free.push(buffer);
    },
  };
}

const readAt = (fd: number, buffer: Buffer, length: number, position: number) =>
  new Promise<number>((resolve, reject) =>
    read(fd, buffer, 0, length, position, (error, bytes) => (error ? reject(error) : resolve(bytes))),
  );

/**
 * Resolves once `chunk` has been handed to the kernel, i.e. when its buffer may be reused. Rejects when the
 * response closes first: Node drops a write on a socket destroyed meanwhile without calling its callback.
 */
const writeChunk = (res: ServerResponse, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => {
    if (res.destroyed) {
      reject(new Error('The client closed the connection'));
      return;
    }
    const onClose = () => reject(new Error('The client closed the connection'));
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });

/**
 * Writes bytes `start`..`end` (inclusive) of `fd` to `res` and ends it. A file that shrinks meanwhile ends the
 * response early and destroys it: the client sees a short body against Content-Length, never padding.
 */
export async function streamFile(
  fd: number,
  start: number,
  end: number,
  res: ServerResponse,
  pool: BufferPool,
): Promise<void> {
  const buffers = [pool.take(), pool.take()] as const;
  try {
    let position = start;
    let index = 0;
    let length = await readAt(fd, buffers[0], Math.min(STREAM_CHUNK, end - position + 1), position);
    while (length > 0) {
      const current = buffers[index] ?? buffers[0];
      position += length;
      const remaining = end - position + 1;
      const next = buffers[1 - index] ?? buffers[1];
      // allSettled, not all: a failed write must not return the buffers while a read still fills one.
      const [written, nextRead] = await Promise.allSettled([
        writeChunk(res, length === current.length ? current : current.subarray(0, length)),
        remaining > 0 ? readAt(fd, next, Math.min(STREAM_CHUNK, remaining), position) : Promise.resolve(0),
      ]);
      if (written.status === 'rejected') throw written.reason;
      if (nextRead.status === 'rejected') throw nextRead.reason;
      length = nextRead.value;
      index = 1 - index;
    }
    if (position <= end) {
      res.destroy();
      return;
    }
    // Not awaited: 'finish' never comes if the client leaves now, and every chunk is already with the kernel.
    res.end();
  } finally {
    pool.give(buffers[0]);
    pool.give(buffers[1]);
  }
}
