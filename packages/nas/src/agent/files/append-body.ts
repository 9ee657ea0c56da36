// Appends a request body to an upload's part file at a given offset, as it arrives, never more than the upload
// has room for — written as WebDAV PUT writes (dav/fs/body-writer.ts).

import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type BodyWriteOutcome, writeBody } from '../dav/fs/body-writer.js';

/**
 * `how` — 'ended': the whole body is in. 'aborted': the client went away mid-body (what came is kept: a
 * resumed upload continues after it). 'overflow': the body was longer than the room left (what fit is kept).
 */
export type AppendOutcome = BodyWriteOutcome;

/**
 * Writes `body` into `handle` from `position`, at most `room` bytes. Rejects only when a write fails (the
 * bytes written before stay; the caller answers with the error). The body is not destroyed on overflow, so
 * the caller can still answer; the agent's front closes a connection whose body was not read to the end.
 */
export function appendBody(
  body: Readable,
  handle: FileHandle,
  position: number,
  room: number,
): Promise<AppendOutcome> {
  return writeBody(body, handle.fd, position, { room });
}
