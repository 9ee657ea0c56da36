// `rclone serve webdav` (Debian `rclone`) as a WebDAV peer of the benchmarks: a Go server over a local folder,
// with its defaults (the VFS caches directory listings for 5 minutes).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { type ManagedProcess, startProcess } from '../process/managed-process.js';
import { requireCommand } from '../require-command.js';
import { tempDir } from '../temp-dir.js';

export interface StartRcloneServeOptions {
  /** Extra flags after `serve webdav DIR --addr …`, e.g. `['--dir-cache-time', '0s']`. */
  args?: readonly string[];
  /** Server output to this file instead of the test process. */
  logFile?: string;
}

export interface RcloneServeInstance {
  /** `http://127.0.0.1:<port>/`, the WebDAV root (the served folder), with its trailing slash. */
  url: string;
  port: number;
  process: ManagedProcess;
}

/**
 * Serves `folder` over WebDAV on a free loopback port, with no authentication, and resolves once it answers.
 *
 * @example
 *   const rclone = await startRcloneServe(filesDir);
 *   await fetch(`${rclone.url}big.bin`);
 *   await rclone.process.stop();
 */
export async function startRcloneServe(
  folder: string,
  options: StartRcloneServeOptions = {},
): Promise<RcloneServeInstance> {
  const rclone = requireCommand('rclone', 'rclone');
  // An empty config of its own, so the machine's rclone.conf is neither read nor written.
  const config = join(tempDir('homeport-rclone-serve-'), 'rclone.conf');
  writeFileSync(config, '');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const process = await startProcess(
    rclone,
    ['serve', 'webdav', folder, '--addr', `127.0.0.1:${port}`, ...(options.args ?? [])],
    {
      name: 'rclone serve webdav',
      env: { RCLONE_CONFIG: config },
      ready: { url },
      ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    },
  );
  return { url, port, process };
}
