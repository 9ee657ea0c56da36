// Lists a folder's members with their stats for PROPFIND Depth 1: one readdir, then every stat in flight at once.

import { lstat, realpath, type Stats, stat } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { TEMP_PREFIX } from '../request-path.js';
import type { ExportRoot } from './resolve.js';

export interface Member {
  name: string;
  stats: Stats;
}

/**
 * Members of `folder` (a real path) as a client may see them: temp files are hidden, symlinks are followed when
 * they resolve inside the export and left out otherwise, and anything that vanishes between readdir and stat
 * is skipped. Callbacks rather than promises: 10,000 stats is where their per-call cost shows.
 */
export async function listMembers(root: ExportRoot, folder: string): Promise<Member[]> {
  const entries = await readdir(folder, { withFileTypes: true });
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
      if (name.startsWith(TEMP_PREFIX)) {
        done();
        return;
      }
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
