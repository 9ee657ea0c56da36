// Finds a system command, or fails loudly with the apt-get line that installs it: a missing dependency
// is never a reason to skip a suite.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { TestkitError } from './errors.js';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    // Not there or not executable: both mean "keep looking" to the caller.
    return false;
  }
}

/** The absolute path of `command` (on PATH, or as given when it contains a slash), if it is executable. */
export function findExecutable(command: string, path = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) {
    const full = resolve(command);
    return isExecutableFile(full) ? full : undefined;
  }
  for (const folder of path.split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The absolute path of `command` (looked up on PATH, or checked as given when it is a path), or throws
 * a TestkitError `missing_dependency` whose message ends in `install it: apt-get install -y <debianPackage>`.
 *
 * @example
 *   const wrk = requireCommand('wrk', 'wrk');
 *   const chromium = requireCommand('/usr/bin/chromium', 'chromium');
 */
export function requireCommand(
  command: string,
  debianPackage: string,
  path = process.env.PATH ?? '',
): string {
  const found = findExecutable(command, path);
  if (found !== undefined) return found;
  const where = command.includes('/') ? command : `${command} on PATH`;
  throw new TestkitError(
    'missing_dependency',
    `${where} not found; install it: apt-get install -y ${debianPackage}`,
  );
}
