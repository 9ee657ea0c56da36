// Secrets generated once and kept in the data dir (mode 0600), e.g. signing keys and bootstrap tokens.

import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Returns the secret stored at `<dataDir>/secrets/<name>`, creating it with `generate()` on first use.
 * Two processes starting at once agree on one value: the file is written aside and linked into place,
 * which fails if the other got there first, and then its value is read.
 *
 * @example
 *   const davSecret = persistedSecret(dataDir, 'dav-auth-secret', () => randomBytes(32).toString('base64url'));
 */
export function persistedSecret(dataDir: string, name: string, generate: () => string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`bad secret name ${name}`);
  const folder = join(dataDir, 'secrets');
  const file = join(folder, name);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(aside, `${generate()}\n`, { mode: 0o600 });
  // The mode above is masked by the umask; owner-only must not depend on it.
  chmodSync(aside, 0o600);
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
  return readFileSync(file, 'utf8').trim();
}
