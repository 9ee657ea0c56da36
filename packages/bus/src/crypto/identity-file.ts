// Identity files on disk, in unibus's JSON format, mode 0600. An identity is never replaced: a corrupt file is
// an error to fix by hand, because a fresh key could not open the room keys sealed to the old one.

import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BusCryptoError } from './errors.js';
import { generateIdentity, type Identity, identityFromJson, identityToJson } from './identity.js';

/** An identity file is four base64 keys; anything much larger is not one (and is not read into memory). */
const MAX_IDENTITY_FILE_BYTES = 64 * 1024;

/**
 * Reads the identity at `path`; never creates one. `bus_identity_not_found` when there is no file,
 * `bus_identity_invalid` (naming the field) when it is not a valid identity.
 */
export async function loadIdentity(path: string): Promise<Identity> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if (isCode(error, 'ENOENT'))
      throw new BusCryptoError('bus_identity_not_found', `no identity file at ${path}`, { cause: error });
    throw error;
  }
  if (size > MAX_IDENTITY_FILE_BYTES)
    throw new BusCryptoError(
      'bus_identity_invalid',
      `${path}: ${size} bytes is too large for an identity file`,
    );
  const text = await readFile(path, 'utf8');
  try {
    return identityFromJson(text);
  } catch (error) {
    if (error instanceof BusCryptoError)
      throw new BusCryptoError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Writes `identity` to a new file at `path` with mode 0600: written and synced under a temporary name in the
 * same directory, then linked into place, which fails when `path` exists (`bus_identity_exists`) — so a
 * crash leaves either no file or a whole one, and an existing identity is never overwritten.
 */
export async function createIdentityFile(path: string, identity: Identity): Promise<void> {
  const json = identityToJson(identity);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.chmod(0o600); // the umask may have narrowed it further; 0600 exactly is the contract
      await handle.writeFile(json, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await placeWithoutReplacing(temp, path);
  } finally {
    await unlink(temp).catch((error: unknown) => {
      if (!isCode(error, 'ENOENT')) throw error; // gone already: rename moved it
    });
  }
}

async function placeWithoutReplacing(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path); // atomic, and refuses an existing target
    return;
  } catch (error) {
    if (isCode(error, 'EEXIST'))
      throw new BusCryptoError('bus_identity_exists', `an identity file exists at ${path}`, { cause: error });
    // Filesystems without hard links: check, then rename. Only a writer racing us in the same instant
    // could be replaced, and that writer is creating an identity too.
    if (!isCode(error, 'EPERM') && !isCode(error, 'ENOTSUP') && !isCode(error, 'EOPNOTSUPP')) throw error;
  }
  if (await exists(path))
    throw new BusCryptoError('bus_identity_exists', `an identity file exists at ${path}`);
  await rename(temp, path);
  await chmod(path, 0o600);
}

/**
 * Loads the identity at `path`, or creates one there (mode 0600) when there is no file. A file that exists
 * but does not read as an identity is an error, and the file is left exactly as it was.
 */
export async function loadOrCreateIdentity(path: string): Promise<Identity> {
  try {
    return await loadIdentity(path);
  } catch (error) {
    if (!(error instanceof BusCryptoError) || error.code !== 'bus_identity_not_found') throw error;
  }
  const identity = generateIdentity();
  try {
    await createIdentityFile(path, identity);
    return identity;
  } catch (error) {
    // Another process created it between our read and our write: theirs is the identity.
    if (error instanceof BusCryptoError && error.code === 'bus_identity_exists') return loadIdentity(path);
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path); // a dangling symlink is still something we must not replace
    return true;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code; // fs errors carry a code
}
