// Temporary folders for data dirs, config files and logs, removed together at the end of a test file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllNow } from './process/registry.js';

// Every folder made by tempDir() in this process, so removeTempDirs() can clear them in one afterAll.
const created = new Set<string>();
let exitHookInstalled = false;

/** Creates a fresh folder `<os.tmpdir()>/<prefix>XXXXXX` and returns its absolute path. */
export function tempDir(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  created.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test file that forgot removeTempDirs() must not fill /tmp with data dirs. Processes are killed
    // first, so none of them writes into a folder while it is being removed.
    process.once('exit', () => {
      killAllNow();
      removeTempDirs();
    });
  }
  return path;
}

/**
 * Removes every folder tempDir() created. Call it after stopAll(): a process still writing into its data dir
 * would otherwise recreate files while they are being deleted.
 * Set HOMEPORT_TESTKIT_KEEP=1 to keep them for a post-mortem.
 */
export function removeTempDirs(): void {
  if (process.env.HOMEPORT_TESTKIT_KEEP === '1') {
    for (const path of created) console.error(`testkit: kept ${path}`);
    created.clear();
    return;
  }
  for (const path of created) rmSync(path, { recursive: true, force: true });
  created.clear();
}
