// Resumable uploads on disk, under the export's state dir: `<id>.part` (the bytes so far: its size is the
// offset), `<id>.json` (length, target, binding; 0600) and `<id>.lock` while a PATCH writes. Nothing is held in
// a process, so the PATCHes of one upload may land on different WebDAV workers (or survive an agent restart).

import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialScope } from '../../credentials/mount-credential.js';
import { errnoCode } from '../dav/fs/resolve.js';

/** What the sidecar holds. */
export interface UploadRecord {
  v: 1;
  /** 128 random bits, base64url: with a credential that may write here, the upload's capability. */
  id: string;
  /** Announced size in bytes. */
  length: number;
  /** The folder it goes into, as a FilesContext relativePath (`/` or `/a/b`). */
  dir: string;
  /** One decoded, checked path segment. */
  name: string;
  /** Fail at the end if the name exists (`If-None-Match: *`, and always for a file drop). */
  exclusive: boolean;
  /**
   * The scope of the credential that created it (null: the whole export): only a credential with the same
   * scope may continue it. Not the username: a browser credential is renewed every 10 minutes.
   */
  scope: CredentialScope | null;
  /** Unix milliseconds. */
  created: number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const FOLDER = 'uploads';

export const newUploadId = (): string => randomBytes(16).toString('base64url');
export const isUploadId = (value: string): boolean => ID_PATTERN.test(value);

/** The folder of the upload files (created 0700 on first use). */
export async function uploadsFolder(stateDir: string): Promise<string> {
  const folder = join(stateDir, FOLDER);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  return folder;
}

export const partPath = (folder: string, id: string) => join(folder, `${id}.part`);
const recordPath = (folder: string, id: string) => join(folder, `${id}.json`);
const lockPath = (folder: string, id: string) => join(folder, `${id}.lock`);

/** A FilesContext relativePath: `/`, or `/` and non-empty segments (no `.`, `..` or NUL), whatever its length. */
function isFolderKey(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/')) return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\0'));
}

function isRecord(value: unknown): value is UploadRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>; // fields checked one by one below
  const scope = record.scope as Record<string, unknown> | null | undefined; // checked below
  return (
    record.v === 1 &&
    typeof record.id === 'string' &&
    isUploadId(record.id) &&
    Number.isSafeInteger(record.length) &&
    (record.length as number) >= 0 &&
    typeof record.dir === 'string' &&
    isFolderKey(record.dir) &&
    typeof record.name === 'string' &&
    record.name !== '' &&
    typeof record.exclusive === 'boolean' &&
    Number.isSafeInteger(record.created) &&
    (scope === null ||
      (typeof scope === 'object' &&
        typeof scope.path === 'string' &&
        (scope.mode === 'view' || scope.mode === 'drop')))
  );
}

/** Creates the empty part, then the sidecar (written aside and renamed, so a reader never sees half of it). */
export async function createUpload(folder: string, record: UploadRecord): Promise<void> {
  // The default mode (0666 less the umask), as PUT gives a new file: the part becomes the file in place, and
  // the 0700 state folder already keeps it private until then.
  await (await open(partPath(folder, record.id), 'wx')).close();
  const aside = `${recordPath(folder, record.id)}.new`;
  await writeFile(aside, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
  await rename(aside, recordPath(folder, record.id));
}

/** The upload and its part's size, or undefined when there is none (never was, cancelled, finished). */
export async function readUpload(
  folder: string,
  id: string,
): Promise<{ record: UploadRecord; offset: number } | undefined> {
  let record: unknown;
  try {
    record = JSON.parse(await readFile(recordPath(folder, id), 'utf8'));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  if (!isRecord(record) || record.id !== id) return undefined;
  try {
    return { record, offset: (await stat(partPath(folder, id))).size };
  } catch (error) {
    // The sidecar outlived its part (a crash between placing the file and removing the sidecar): finished.
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

const unlinkIfThere = async (path: string) => {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
};

/** Forgets an upload: the sidecar first (from then on it does not exist), then the part. */
export async function removeUpload(folder: string, id: string): Promise<void> {
  await unlinkIfThere(recordPath(folder, id));
  await unlinkIfThere(partPath(folder, id));
}

/** Every upload of the export, with its part's size (at most the per-export cap of them). */
export async function listUploads(folder: string): Promise<{ record: UploadRecord; offset: number }[]> {
  const names = await readdir(folder);
  const found = await Promise.all(
    names
      .filter((name) => name.endsWith('.json'))
      .map((name) => readUpload(folder, name.slice(0, -'.json'.length))),
  );
  return found.filter((item) => item !== undefined);
}

/** A lock not refreshed for this long belongs to a worker that died mid-PATCH. */
const LOCK_STALE_MS = 60_000;
/** How often a PATCH in progress refreshes its lock. */
const LOCK_REFRESH_MS = 15_000;

export interface UploadLock {
  release(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds that pid, so it is alive (and not ours, but not provably dead).
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * Takes the upload's write lock, or resolves undefined when a live PATCH holds it. The lock is a file created
 * exclusively (O_EXCL), so two workers cannot both take it; it names its holder's pid and a nonce. A holder
 * that died is recognised by its pid being gone, or by a lock not refreshed for LOCK_STALE_MS (a pid reused
 * after an agent restart), and its lock is taken over. Two workers judging the same dead lock at once could
 * in theory both take it; that needs a crashed PATCH and two retries within the same milliseconds.
 */
export async function lockUpload(folder: string, id: string): Promise<UploadLock | undefined> {
  const path = lockPath(folder, id);
  const mine = `${process.pid} ${randomBytes(8).toString('hex')}`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(path, mine, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      let holder: string;
      let stats: Stats;
      try {
        [holder, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      } catch (readError) {
        if (errnoCode(readError) === 'ENOENT') continue; // released meanwhile: try again
        throw readError;
      }
      // An empty lock is being written by its holder (created, content not yet in): only its age can say.
      const pid = Number(holder.split(' ')[0]);
      const dead = holder !== '' && (!Number.isSafeInteger(pid) || pid <= 0 || !processAlive(pid));
      const stale = Date.now() - stats.mtimeMs > LOCK_STALE_MS || dead;
      if (!stale) return undefined;
      // Only if it is still the dead holder's lock (another worker may have taken it over just now).
      if ((await readFile(path, 'utf8').catch(() => '')) === holder) await unlinkIfThere(path);
      continue;
    }
    const refresh = setInterval(() => {
      const now = new Date();
      // A failed refresh only risks the lock being judged stale a minute later.
      utimes(path, now, now).catch(() => undefined);
    }, LOCK_REFRESH_MS);
    refresh.unref();
    return {
      async release() {
        clearInterval(refresh);
        const current = await readFile(path, 'utf8').catch(() => '');
        if (current === mine) await unlinkIfThere(path);
      },
    };
  }
  return undefined;
}

/**
 * Deletes uploads untouched (no byte written, no lock refreshed) for `maxAgeMs`, and stray files of the
 * uploads folder as old. Returns how many uploads went. A PATCH in progress refreshes its lock, so a slow
 * upload is never swept while it is being written.
 */
export async function sweepUploads(stateDir: string, maxAgeMs: number, now: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(join(stateDir, FOLDER));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0;
    throw error;
  }
  const folder = join(stateDir, FOLDER);
  const touched = new Map<string, number>();
  for (const name of names) {
    const id = name.split('.')[0] ?? '';
    let mtime: number;
    try {
      mtime = (await stat(join(folder, name))).mtimeMs;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') continue;
      throw error;
    }
    touched.set(id, Math.max(touched.get(id) ?? 0, mtime));
  }
  let swept = 0;
  for (const [id, mtime] of touched) {
    if (now - mtime <= maxAgeMs) continue;
    for (const name of names) if (name.split('.')[0] === id) await unlinkIfThere(join(folder, name));
    swept += 1;
  }
  return swept;
}
