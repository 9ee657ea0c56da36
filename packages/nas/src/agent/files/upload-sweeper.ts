// Deletes resumable uploads nobody touched for a day, in every export's files state dir: once when the agent
// starts and then every hour. Run by the agent process only (never by a WebDAV worker), like the sweep of
// PUT's leftover temp files.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@homeport/core';
import { errnoCode } from '../dav/fs/resolve.js';
import { sweepUploads } from './upload-state.js';

/** An upload with no byte written for this long is abandoned. */
export const UPLOAD_MAX_IDLE_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** Where files/dispatch.ts keeps each export's state: `<agent state dir>/files/<export key>/`. */
const FILES_FOLDER = 'files';

export interface UploadSweeperOptions {
  /** The agent's state dir. */
  stateDir: string;
  log: Logger;
  clock?: () => number;
  maxIdleMs?: number;
  everyMs?: number;
}

/** Sweeps every export's uploads once; returns how many went. */
export async function sweepAllUploads(stateDir: string, maxIdleMs: number, now: number): Promise<number> {
  let exports: string[];
  try {
    exports = await readdir(join(stateDir, FILES_FOLDER));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0; // no browser upload yet
    throw error;
  }
  let swept = 0;
  for (const name of exports) swept += await sweepUploads(join(stateDir, FILES_FOLDER, name), maxIdleMs, now);
  return swept;
}

/**
 * Sweeps now, then every hour, until stopped. A failed sweep is logged and tried again at the next tick.
 *
 * @example
 *   const sweeper = startUploadSweeper({ stateDir, log });
 *   // …on stop:
 *   sweeper.stop();
 */
export function startUploadSweeper(options: UploadSweeperOptions): {
  stop(): void;
  sweep(): Promise<number>;
} {
  const clock = options.clock ?? Date.now;
  const maxIdleMs = options.maxIdleMs ?? UPLOAD_MAX_IDLE_MS;
  const sweep = async (): Promise<number> => {
    try {
      const swept = await sweepAllUploads(options.stateDir, maxIdleMs, clock());
      if (swept > 0) options.log.info({ swept }, 'abandoned resumable uploads deleted');
      return swept;
    } catch (error) {
      options.log.warn({ err: error }, 'could not sweep abandoned resumable uploads');
      return 0;
    }
  };
  void sweep();
  const timer = setInterval(() => void sweep(), options.everyMs ?? SWEEP_EVERY_MS);
  // The sweep never keeps the process alive on its own.
  timer.unref();
  return { stop: () => clearInterval(timer), sweep };
}
