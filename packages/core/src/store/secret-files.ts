// Secrets generated once and kept in the data dir (mode 0600), e.g. signing keys and bootstrap tokens.

import { join } from 'node:path';
import { ensurePrivateDir, writeOnce } from '../fs/private-files.js';

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
  ensurePrivateDir(folder);
  return writeOnce(join(folder, name), () => `${generate()}\n`).trim();
}
