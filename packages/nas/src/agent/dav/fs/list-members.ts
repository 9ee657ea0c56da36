// Lists a folder's members with their stats for PROPFIND Depth 1 and the HTML listing: one readdir, then the
// stats of one batch at a time, all in flight at once.

import { type Dirent, lstat, realpath, type Stats, stat } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { TEMP_PREFIX } from '../request-path.js';
import type { ExportRoot } from './resolve.js';

export interface Member {
  name: string;
  stats: Stats;
}

/** The entries of `folder` (a real path) a client may see, without their stats: temp files are hidden. */
export async function readMembers(folder: string): Promise<Dirent[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  return entries.filter((entry) => !entry.name.startsWith(TEMP_PREFIX));
}

/**
 * Stats of `entries` of `folder`, as a client may see them: symlinks are followed when they resolve inside
 * the export and left out otherwise, and anything that vanishes between readdir and stat is skipped.
 * Callbacks rather than promises: 10,000 stats is where their per-call cost shows.
 */
export function statMembers(root: ExportRoot, folder: string, entries: readonly Dirent[]): Promise<Member[]> {
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
      const path = `${folder === '/' ? '' : folder}/${name}`;
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
