// Lists a folder's members with their stats for PROPFIND Depth 1 and the HTML listing: names read a batch at a
// time (or all at once where a page must be sorted), then the stats of one batch at a time.

import { type Dirent, lstat, lstatSync, realpath, realpathSync, type Stats, stat, statSync } from 'node:fs';
import { opendir, readdir } from 'node:fs/promises';
import { TEMP_PREFIX } from '../request-path.js';
import type { ExportRoot } from './resolve.js';

export interface Member {
  name: string;
  stats: Stats;
}

const visible = (entry: Dirent) => !entry.name.startsWith(TEMP_PREFIX);

/** The entries of `folder` (a real path) a client may see, without their stats: temp files are hidden. */
export async function readMembers(folder: string): Promise<Dirent[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries.filter(visible);
}

/**
 * A batch read and stated on the event loop may take this long before the listing moves to the thread pool.
 * Stats of cached inodes cost a microsecond or two each, far less than a thread-pool round trip (and a
 * promise per entry); a cold or network disk can take milliseconds each, and must not hold every other
 * request meanwhile.
 */
const INLINE_BUDGET_MS = 8;

/** A folder's members with their stats, a batch at a time (see listMembers). */
export interface MemberLister {
  /** The next batch (possibly empty when its entries vanished), or undefined once the folder is exhausted. */
  next(): Promise<Member[] | undefined>;
  /** Closes the folder early (the client went away); harmless after the end. */
  close(): Promise<void>;
}

/**
 * The members of `folder` (a real path) `size` entries at a time, never all at once: a listing of 100,000
 * files holds the names and stats of one batch, not of the folder. Entries come in the filesystem's order.
 * Batches are read and stated inline while each takes less than INLINE_BUDGET_MS; once one takes longer (the
 * disk is slow), the rest of the folder goes through the thread pool.
 */
export async function listMembers(root: ExportRoot, folder: string, size: number): Promise<MemberLister> {
  const base = folder === '/' ? '' : folder;
  // bufferSize: entries fetched per readdir call; a batch takes one or a few of them.
  const dir = await opendir(folder, { bufferSize: Math.min(size, 1024) });
  let inline = true;
  let done = false;
  const close = async () => {
    if (done) return;
    done = true;
    await dir.close();
  };
  return {
    async next() {
      if (done) return undefined;
      const started = performance.now();
      const entries: Dirent[] = [];
      while (entries.length < size) {
        const entry = inline ? dir.readSync() : await dir.read();
        if (entry === null) break;
        if (visible(entry)) entries.push(entry);
      }
      if (entries.length < size) await close();
      if (entries.length === 0) return undefined;
      if (!inline) return statAsync(root, base, entries);
      const members = statInline(root, base, entries);
      if (performance.now() - started > INLINE_BUDGET_MS) inline = false;
      return members;
    },
    close,
  };
}

/** Takes the stats of one folder's members, batch after batch, inline while that is fast (see listMembers). */
export interface MemberStatter {
  stat(entries: readonly Dirent[]): Promise<Member[]>;
}

export function memberStatter(root: ExportRoot, folder: string): MemberStatter {
  const base = folder === '/' ? '' : folder;
  let inline = true;
  return {
    stat(entries) {
      if (!inline) return statAsync(root, base, entries);
      const started = performance.now();
      const members = statInline(root, base, entries);
      if (performance.now() - started > INLINE_BUDGET_MS) inline = false;
      return Promise.resolve(members);
    },
  };
}

function statInline(root: ExportRoot, base: string, entries: readonly Dirent[]): Member[] {
  const members: Member[] = [];
  for (const entry of entries) {
    const name = entry.name;
    const path = `${base}/${name}`;
    try {
      let stats: Stats | undefined;
      if (!entry.isSymbolicLink()) stats = lstatSync(path, { throwIfNoEntry: false });
      else {
        const real = realpathSync.native(path);
        if (root.contains(real)) stats = statSync(real, { throwIfNoEntry: false });
      }
      if (stats !== undefined) members.push({ name, stats });
    } catch {
      // Gone, or unreadable, between readdir and stat (ENOENT of a dangling link, ENOTDIR, EACCES): a listing
      // shows what it can stat, as the asynchronous path below does.
    }
  }
  return members;
}

/** Callbacks rather than promises: 10,000 stats is where their per-call cost shows. */
function statAsync(root: ExportRoot, base: string, entries: readonly Dirent[]): Promise<Member[]> {
  const members: (Member | undefined)[] = new Array(entries.length);
  return new Promise((resolve) => {
    let pending = entries.length;
    const done = () => {
      pending -= 1;
      if (pending === 0) resolve(members.filter((member): member is Member => member !== undefined));
    };
    if (pending === 0) {
      resolve([]);
      return;
    }
    entries.forEach((entry, index) => {
      const name = entry.name;
      const path = `${base}/${name}`;
      if (!entry.isSymbolicLink()) {
        lstat(path, (error, stats) => {
          if (!error) members[index] = { name, stats };
          done();
        });
        return;
      }
      realpath.native(path, (error, real) => {
        if (error || !root.contains(real)) {
          done();
          return;
        }
        stat(real, (statError, stats) => {
          if (!statError) members[index] = { name, stats };
          done();
        });
      });
    });
  });
}
