// `homeport backup create` and `restore`: one archive (tar + gzip) of a Homeport's state with a manifest of
// SHA-256 checksums that restore verifies before it changes anything. On SQLite: a consistent snapshot of the
// database taken with SQLite's online backup while Homeport runs, the secrets, the embedded agent's state and
// the managed nats-server's identities. On NATS KV: every bucket of Homeport's (backup/kv.ts) and the data
// dir's own files (the embedded agent's state).

import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { BackupError } from './errors.js';
import {
  assertNoReplica,
  checkKvManifest,
  dumpKv,
  type KvManifest,
  type KvSide,
  kvFile,
  loadKv,
  occupiedBuckets,
  readKvArchive,
} from './kv.js';
import { extractTar, TarWriter } from './tar.js';

export const MANIFEST = 'manifest.json';
const FORMAT = 'homeport-backup';
const FORMAT_VERSION = 1;

export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof FORMAT;
  version: typeof FORMAT_VERSION;
  createdAt: string;
  homeportVersion: string;
  store: 'sqlite' | 'kv';
  files: ManifestFile[];
  /** KV archives only: the buckets in `kv/`. */
  kv?: KvManifest;
}

/** What of a data dir an archive holds, per store. */
interface LocalState {
  /** SQLite databases, copied with the online backup (a plain copy of a live one can tear). */
  databases: readonly string[];
  /** Folders copied whole (small files Homeport writes once and rewrites atomically). */
  folders: readonly string[];
  /** Single files copied as they are. */
  files: readonly string[];
}

const LOCAL: Record<'sqlite' | 'kv', LocalState> = {
  sqlite: {
    databases: ['homeport.db', 'agent/dav.db'],
    folders: ['secrets', 'nats/accounts', 'nats/users', 'nats/resolver'],
    files: ['agent/agent.json', 'nats/operator.nk', 'nats/operator-signing.nk', 'nats/operator.jwt'],
  },
  // The managed nats-server's identities stay with its JetStream data, which a KV archive does not carry: the
  // buckets are restored into whatever NATS this Homeport is set to.
  kv: { databases: ['agent/dav.db'], folders: ['secrets'], files: ['agent/agent.json'] },
};

/** `20260102T030405Z`: sorts by time, no character a file system or shell minds. */
export const stamp = (at: number) => new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Every regular file under `dir`, as paths relative to `base`; symlinks and anything else are left out. */
function filesUnder(dir: string, base: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path, base));
    else if (entry.isFile()) found.push(relative(base, path));
  }
  return found;
}

async function snapshotDatabase(source: string, target: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target);
  } finally {
    db.close();
  }
  // One self-contained file: the copy would otherwise keep WAL mode and grow -wal/-shm files when opened.
  const copy = new Database(target);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

export interface CreateBackupOptions {
  dataDir: string;
  /** The archive to write (refused if it exists). */
  to: string;
  homeportVersion: string;
  now?: () => number;
  /** Set on a KV store: its buckets are read through this connection. */
  kv?: KvSide;
}

/** Writes the archive and returns its manifest. The archive is written under a temporary name, then renamed. */
export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  const dataDir = resolve(options.dataDir);
  const to = resolve(options.to);
  const store = options.kv ? 'kv' : 'sqlite';
  const local = LOCAL[store];
  if (store === 'sqlite' && !existsSync(join(dataDir, 'homeport.db')))
    throw new BackupError(
      'no_database',
      `no Homeport database in ${dataDir} (homeport.db): nothing to back up`,
    );
  if (existsSync(to)) throw new BackupError('archive_exists', `${to} exists; give another --to`);
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dirname(to), '.homeport-backup-'));
  const partial = `${to}.partial-${randomBytes(4).toString('hex')}`;
  try {
    const names: string[] = [];
    let kv: KvManifest | undefined;
    if (options.kv) {
      await mkdir(join(staging, 'kv'), { mode: 0o700 });
      const dumped = await dumpKv(options.kv, staging);
      kv = dumped.manifest;
      names.push(...dumped.files);
    }
    for (const name of local.databases) {
      if (!existsSync(join(dataDir, name))) continue;
      await mkdir(dirname(join(staging, name)), { recursive: true, mode: 0o700 });
      await snapshotDatabase(join(dataDir, name), join(staging, name));
      names.push(name);
    }
    const copies = [
      ...local.files.filter((name) => existsSync(join(dataDir, name))),
      ...local.folders.flatMap((folder) =>
        existsSync(join(dataDir, folder)) ? filesUnder(join(dataDir, folder), dataDir) : [],
      ),
    ];
    for (const name of copies) {
      await mkdir(dirname(join(staging, name)), { recursive: true, mode: 0o700 });
      await copyFile(join(dataDir, name), join(staging, name));
      names.push(name);
    }
    const files: ManifestFile[] = [];
    for (const name of names.sort()) {
      const path = join(staging, name);
      files.push({ name, size: statSync(path).size, sha256: await sha256Of(path) });
    }
    const manifest: BackupManifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      createdAt: new Date((options.now ?? Date.now)()).toISOString(),
      homeportVersion: options.homeportVersion,
      store,
      files,
      ...(kv ? { kv } : {}),
    };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });

    const gzip = createGzip();
    const written = pipeline(gzip, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    const tar = new TarWriter(gzip);
    const mtime = Math.floor(Date.parse(manifest.createdAt) / 1000);
    // The manifest first, so a reader knows what follows before it reads it.
    for (const name of [MANIFEST, ...files.map((file) => file.name)]) {
      const path = join(staging, name);
      await tar.file(name, path, statSync(path).size, 0o600, mtime);
    }
    await tar.end();
    gzip.end();
    await written;
    await rename(partial, to);
    return manifest;
  } finally {
    await rm(partial, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** The processes (pid, command) that have one of these files open, from /proc (Linux). */
export function holdersOf(paths: readonly string[]): { pid: number; command: string }[] {
  const wanted = new Set(paths.map((path) => resolve(path)));
  const holders: { pid: number; command: string }[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return holders; // no /proc: nothing can be proven open
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!wanted.has(target)) continue;
      let command = '';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        // it ended meanwhile
      }
      holders.push({ pid: Number(pid), command });
      break;
    }
  }
  return holders;
}

export interface RestoreOptions {
  archive: string;
  dataDir: string;
  /** Set on a KV store: the buckets are written through this connection. */
  kv?: KvSide;
  /** Written into the manifest of the archive a forced KV restore keeps of what it replaces. */
  homeportVersion?: string;
  /** Replace the state of a data dir that has a database (what it held is moved aside, not deleted). */
  force?: boolean;
  now?: () => number;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where the replaced state was moved (SQLite: a folder; KV: an archive of it), if any. */
  movedAside: string | undefined;
}

function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupError('archive_invalid', 'the archive’s manifest is not JSON');
  }
  const manifest = value as Partial<BackupManifest>; // checked field by field below
  if (
    manifest.format !== FORMAT ||
    manifest.version !== FORMAT_VERSION ||
    (manifest.store !== 'sqlite' && manifest.store !== 'kv')
  )
    throw new BackupError(
      'archive_invalid',
      `not a Homeport backup this version reads (format ${String(manifest.format)} ${String(manifest.version)}, store ${String(manifest.store)})`,
    );
  if (
    !Array.isArray(manifest.files) ||
    !manifest.files.every(
      (file) =>
        typeof file?.name === 'string' &&
        Number.isSafeInteger(file.size) &&
        typeof file.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(file.sha256),
    )
  )
    throw new BackupError(
      'archive_invalid',
      'the archive’s manifest lists files without name, size or checksum',
    );
  if (manifest.store === 'sqlite' && !manifest.files.some((file) => file.name === 'homeport.db'))
    throw new BackupError('archive_invalid', 'the archive holds no homeport.db');
  if (
    manifest.store === 'kv' &&
    !manifest.kv?.buckets?.every?.((record) =>
      manifest.files?.some((file) => file.name === kvFile(record.bucket)),
    )
  )
    throw new BackupError('archive_invalid', 'the archive’s manifest lists KV buckets it has no file for');
  return manifest as BackupManifest;
}

/** SQLite's own check of a restored database file; a damaged one stops the restore. */
function checkDatabase(path: string): void {
  const db = new Database(path, { readonly: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok')
      throw new BackupError(
        'archive_damaged',
        `the database fails SQLite's integrity check: ${String(check)}`,
      );
  } finally {
    db.close();
  }
}

/** Paths in a data dir a restore replaces (the archive's, and a live database's WAL companions). */
function replacedPaths(dataDir: string, local: LocalState): string[] {
  return [
    ...local.databases.flatMap((name) => [name, `${name}-wal`, `${name}-shm`]),
    ...local.files,
    ...local.folders,
  ].filter((name) => existsSync(join(dataDir, name)));
}

const STORE_NAMES = { sqlite: 'SQLite', kv: 'NATS KV' } as const;

/**
 * Restores an archive into a data dir: extracts it beside the data dir, checks every file against the
 * manifest (size and SHA-256, nothing missing, nothing extra) and the database's integrity, refuses while a
 * process has the data dir's databases open, then moves what it replaces to `<data-dir>/backups/replaced-<UTC>`
 * and the restored files in. Nothing is changed before every check passed.
 *
 * With `kv` (a KV store): also refuses while any replica runs on the store, the archive of what the store and
 * data dir held is written to `<data-dir>/backups/replaced-<UTC>.tar.gz`, then every bucket is brought to
 * the archive's entries.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const dataDir = resolve(options.dataDir);
  const archive = resolve(options.archive);
  if (!existsSync(archive)) throw new BackupError('archive_missing', `${archive} does not exist`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(dirname(dataDir), `.${basename(dataDir)}-restore-`));
  try {
    try {
      await extractTar(createReadStream(archive).pipe(createGunzip()), staging);
    } catch (error) {
      throw new BackupError(
        'archive_invalid',
        `${archive} is not a readable backup: ${(error as Error).message}`,
      );
    }
    if (!existsSync(join(staging, MANIFEST)))
      throw new BackupError('archive_invalid', 'the archive has no manifest');
    const manifest = parseManifest(await readFile(join(staging, MANIFEST), 'utf8'));
    const store = options.kv ? 'kv' : 'sqlite';
    if (manifest.store !== store)
      throw new BackupError(
        'store_mismatch',
        `the archive is of a Homeport on ${STORE_NAMES[manifest.store]}, and this one is set to ${STORE_NAMES[store]} (HOMEPORT_STORE); restore it with the store it was taken from`,
      );
    const listed = new Set(manifest.files.map((file) => file.name));
    for (const file of manifest.files) {
      const path = join(staging, file.name);
      if (!existsSync(path))
        throw new BackupError('archive_damaged', `${file.name} is missing from the archive`);
      if (statSync(path).size !== file.size || (await sha256Of(path)) !== file.sha256)
        throw new BackupError(
          'archive_damaged',
          `${file.name} does not match its checksum: the archive is damaged`,
        );
    }
    const extra = filesUnder(staging, staging).filter((name) => name !== MANIFEST && !listed.has(name));
    if (extra.length > 0)
      throw new BackupError('archive_damaged', `files not in the manifest: ${extra.join(', ')}`);
    const kvArchive = options.kv && checkKvManifest(manifest.kv, options.kv);
    const buckets = kvArchive && (await readKvArchive(kvArchive, staging));
    if (store === 'sqlite') checkDatabase(join(staging, 'homeport.db'));

    const local = LOCAL[store];
    const existing = replacedPaths(dataDir, local);
    const occupied = options.kv ? await occupiedBuckets(options.kv) : [];
    if ((existing.length > 0 || occupied.length > 0) && !options.force)
      throw new BackupError(
        'target_not_empty',
        occupied.length > 0
          ? `the NATS KV store already holds Homeport's state (${occupied.length} buckets: ${occupied.join(', ')}); --force replaces it (an archive of it is written to ${join(dataDir, 'backups')} first)`
          : `${dataDir} already holds a Homeport's state; --force replaces it (what it holds is moved to ${join(dataDir, 'backups')})`,
      );
    const now = (options.now ?? Date.now)();
    // A replica anywhere on the store first: the data dir's own database says only this machine's.
    if (options.kv) await assertNoReplica(options.kv, now);
    const holders = holdersOf(local.databases.map((name) => join(dataDir, name)));
    if (holders.length > 0)
      throw new BackupError(
        'target_in_use',
        `a running process has this data dir's database open (${holders.map((holder) => `pid ${holder.pid}: ${holder.command}`).join('; ')}); stop Homeport first`,
      );

    let movedAside: string | undefined;
    if (options.kv && (existing.length > 0 || occupied.length > 0)) {
      // The store cannot be moved aside like files: what it holds goes into an archive first.
      movedAside = join(dataDir, 'backups', `replaced-${stamp(now)}.tar.gz`);
      await createBackup({
        dataDir,
        to: movedAside,
        homeportVersion: options.homeportVersion ?? manifest.homeportVersion,
        kv: options.kv,
        now: () => now,
      });
      for (const name of existing) await rm(join(dataDir, name), { recursive: true, force: true });
    } else if (existing.length > 0) {
      movedAside = join(dataDir, 'backups', `replaced-${stamp(now)}`);
      await mkdir(movedAside, { recursive: true, mode: 0o700 });
      for (const name of existing) {
        await mkdir(dirname(join(movedAside, name)), { recursive: true, mode: 0o700 });
        await rename(join(dataDir, name), join(movedAside, name));
      }
    }
    if (options.kv && kvArchive && buckets) {
      try {
        await loadKv(options.kv, kvArchive, buckets);
      } catch (error) {
        throw new BackupError(
          'restore_incomplete',
          `the restore stopped part way through the KV buckets (${(error as Error).message}); run it again${movedAside ? ` (what the store held before is in ${movedAside})` : ''}`,
          { cause: error },
        );
      }
    }
    for (const file of manifest.files) {
      if (kvArchive && file.name.startsWith('kv/')) continue;
      const target = join(dataDir, file.name);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rename(join(staging, file.name), target);
      await chmod(target, 0o600);
    }
    return { manifest, movedAside };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
