// Hidden temp files for uploads and copies: created next to their destination (same filesystem, so the final
// rename is atomic) under a name no URL can reach and no listing shows.

import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
