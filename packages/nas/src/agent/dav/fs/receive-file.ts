// Receives a request body into an open file: the socket's 64 KiB chunks are gathered, without copying, into one
// positioned writev per MiB, and the socket is paused only when 8 MiB wait for the disk.

import { writev } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** Bytes gathered before a writev is issued. */
const BATCH = 1024 * 1024;
/** Bytes waiting (in flight plus gathered) past which the socket is paused. */
const MAX_PENDING = 8 * 1024 * 1024;

/**
 * Writes the whole body of `req` to `fd` from offset 0; resolves with the byte count once written (to the page
 * cache), rejects when the client goes away before the end. Piping into fs.createWriteStream costs a stream
 * write, a buffer-list entry and a drain cycle per 64 KiB chunk; here a chunk costs an array push.
 */
export function receiveToFile(req: IncomingMessage, fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const gathered: Buffer[] = [];
    let gatheredBytes = 0;
    let inFlightBytes = 0;
    let position = 0;
    let writing = false;
    let ended = false;
    let paused = false;
    let settled = false;

    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(position);
    };

    const flush = () => {
      if (writing || settled) return;
      if (gatheredBytes === 0) {
        if (ended) settle();
        return;
      }
      // About BATCH per writev, however much arrived while the last one ran. Letting a write take everything
      // gathered (up to MAX_PENDING) fed on itself: bigger writes, slower per byte, more gathered meanwhile.
      // 1 GiB PUT on ext4, medians of 7 interleaved runs: 628 MB/s and 2.1 s of CPU uncapped, 1167 MB/s and
      // 1.0 s capped.
      let count = 0;
      let length = 0;
      while (count < gathered.length && length < BATCH) {
        length += gathered[count]?.length ?? 0;
        count += 1;
      }
      const chunks = gathered.splice(0, count);
      gatheredBytes -= length;
      writing = true;
      inFlightBytes = length;
      writev(fd, chunks, position, (error) => {
        writing = false;
        inFlightBytes = 0;
        if (error) {
          settle(error);
          return;
        }
        position += length;
        if (paused) {
          paused = false;
          req.resume();
        }
        // Keep the disk busy with what arrived meanwhile, however little, once the body is complete.
        if (gatheredBytes >= BATCH || ended) flush();
      });
    };

    const onData = (chunk: Buffer) => {
      gathered.push(chunk);
      gatheredBytes += chunk.length;
      if (gatheredBytes >= BATCH) flush();
      if (!paused && gatheredBytes + inFlightBytes >= MAX_PENDING) {
        paused = true;
        req.pause();
      }
    };
    const onEnd = () => {
      ended = true;
      flush();
    };
    const onError = (error: Error) => settle(error);
    // 'close' before the whole body arrived: the client hung up (Node may report no error for it).
    const onClose = () => {
      if (!req.complete) settle(new Error('The client closed the connection before the end of the body'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
