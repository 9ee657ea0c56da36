// Owner-only files for keys and JWTs: written aside and moved into place, so a crash or a second process
// starting at the same moment never leaves half a key behind.

import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Creates `dir` (and parents) and makes it 0700 whatever the umask or an earlier mode said. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** The file's text, or undefined when it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function writeAside(file: string, content: string): string {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, content, { mode: 0o600 });
  // The mode above is masked by the umask; owner-only must not depend on it.
  chmodSync(aside, 0o600);
  return aside;
}

/**
 * Writes `make()` to `file` unless it exists, and returns what the file holds: when two processes race, both
 * end up with the winner's content (a key generated twice must not be used twice).
 */
export function writeOnce(file: string, make: () => string): string {
  const existing = readIfExists(file);
  if (existing !== undefined) return existing;
  const aside = writeAside(file, make());
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
  return readFileSync(file, 'utf8');
}

/** Replaces `file` atomically with owner-only `content`. */
export function writePrivate(file: string, content: string): void {
  renameSync(writeAside(file, content), file);
}
