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

/**
 * Whether a folder's next batch is stated inline: yes until a batch takes longer than INLINE_BUDGET_MS, then
 * through the thread pool until a batch there comes back within a quarter of it (the pool runs four stats at
 * a time, so the same batch inline would have fit the budget). One slow batch is often not the disk: on a busy
 * machine the process was descheduled mid-batch, or a garbage collection ran. Without the way back, that one
 * moment sent the rest of a 100,000-file listing through the thread pool, whose callback per stat costs the
 * event loop more than the stat itself. A slow disk keeps its batches slow there, and the listing stays off
 * the event loop.
 */
export interface StatMode {
  readonly inline: boolean;
  /** How long the last batch took, in the mode it was taken. */
  took(ms: number): void;
}

export function statMode(budgetMs = INLINE_BUDGET_MS): StatMode {
  let inline = true;
  return {
    get inline() {
      return inline;
    },
    took(ms) {
      inline = inline ? ms <= budgetMs : ms < budgetMs / 4;
    },
  };
}

export interface ListOptions {
  /** INLINE_BUDGET_MS unless a test moves the listing to the thread pool (-1: every batch after the first). */
  inlineBudgetMs?: number;
}

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
 * disk may be slow), the next ones go through the thread pool until they are fast again (see StatMode).
 */
export async function listMembers(
  root: ExportRoot,
  folder: string,
  size: number,
  options: ListOptions = {},
): Promise<MemberLister> {
  const base = folder === '/' ? '' : folder;
  // bufferSize: entries fetched per readdir call; a batch takes one or a few of them.
  const dir = await opendir(folder, { bufferSize: Math.min(size, 1024) });
  const mode = statMode(options.inlineBudgetMs);
  let done = false;
  const close = async () => {
    if (done) return;
    done = true;
    await dir.close();
  };
  return {
    async next() {
      if (done) return undefined;
      const inline = mode.inline;
      let started = performance.now();
      const entries: Dirent[] = [];
      while (entries.length < size) {
        const entry = inline ? dir.readSync() : await dir.read();
        if (entry === null) break;
        if (visible(entry)) entries.push(entry);
      }
      if (entries.length < size) await close();
      if (entries.length === 0) return undefined;
      if (inline) {
        const members = statInline(root, base, entries);
        mode.took(performance.now() - started);
        return members;
      }
      started = performance.now();
      const members = await statAsync(root, base, entries);
      mode.took(performance.now() - started);
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
  const mode = statMode();
  return {
    async stat(entries) {
      const inline = mode.inline;
      const started = performance.now();
      const members = inline ? statInline(root, base, entries) : await statAsync(root, base, entries);
      mode.took(performance.now() - started);
      return members;
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
