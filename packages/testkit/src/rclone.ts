// Runs rclone (Debian package `rclone`) as a WebDAV client: a remote named `dav:` defined through environment
// variables, so no config file of the machine is read or written.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export interface RcloneWebdavRemote {
  /** The WebDAV root, e.g. `http://127.0.0.1:8080/dav/exports/exp_1/`. */
  url: string;
  user?: string;
  password?: string;
}

export interface RcloneResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export interface RunRcloneOptions {
  /** Default 120 s; rclone is killed past it. */
  timeoutMs?: number;
}

function run(binary: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<RcloneResult>((resolve, reject) => {
    execFile(
      binary,
      args,
      { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (error !== null && (exitCode === null || error.killed)) {
          reject(new Error(`rclone ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ stdout, stderr, exitCode });
      },
    );
  });
}

/**
 * Runs `rclone <args>` with the remote `dav:` pointing at `remote` (vendor `other`: plain RFC 4918). A non-zero
 * exit is returned, not thrown, so a test can assert on it; a missing rclone throws `missing_dependency`.
 *
 * @example
 *   const result = await runRclone(remote, ['copy', localDir, 'dav:photos']);
 *   expect(result.exitCode, result.stderr).toBe(0);
 */
export async function runRclone(
  remote: RcloneWebdavRemote,
  args: readonly string[],
  options: RunRcloneOptions = {},
): Promise<RcloneResult> {
  const rclone = requireCommand('rclone', 'rclone');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const config = join(tempDir('homeport-rclone-'), 'rclone.conf');
  writeFileSync(config, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RCLONE_CONFIG: config,
    RCLONE_CONFIG_DAV_TYPE: 'webdav',
    RCLONE_CONFIG_DAV_URL: remote.url,
    RCLONE_CONFIG_DAV_VENDOR: 'other',
  };
  if (remote.user !== undefined) env.RCLONE_CONFIG_DAV_USER = remote.user;
  if (remote.password !== undefined) {
    // rclone only accepts an obscured password in its config.
    const obscured = await run(rclone, ['obscure', '--', remote.password], env, timeoutMs);
    env.RCLONE_CONFIG_DAV_PASS = obscured.stdout.trim();
  }
  return run(rclone, args, env, timeoutMs);
}
