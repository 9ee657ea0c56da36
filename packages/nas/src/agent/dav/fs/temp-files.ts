// Hidden temp files for uploads and copies: created next to their destination (same filesystem, so the final
// rename is atomic) under a name no URL can reach and no listing shows.

import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from '@homeport/core';
import { TEMP_PREFIX } from '../request-path.js';
import { writeBody } from './body-writer.js';
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

export interface WriteBodyOptions {
  /** How long one write on the event loop may take before the rest go through the thread pool. */
  inlineBudgetMs?: number;
}

/**
 * Writes a request body to a new file at `path` (refused if it exists), as body-writer.ts writes: 1 MiB at a
 * time, on the event loop while writes are quick. Rejects when the body ends early (the client hung up) or a
 * write fails; the file is left for the caller to remove.
 */
export async function writeBodyToNewFile(
  body: Readable,
  path: string,
  options: WriteBodyOptions = {},
): Promise<void> {
  const fd = openSync(path, 'wx');
  try {
    const outcome = await writeBody(body, fd, 0, options);
    if (outcome.how === 'aborted') throw new Error('The client closed the connection before the body ended');
  } finally {
    closeSync(fd);
  }
}
