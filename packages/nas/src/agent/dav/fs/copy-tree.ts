// Copies a file or a folder tree inside an export, as a WebDAV client sees it: symlinks that stay inside the
// export are copied as what they point to, the others are left out.

import { constants, type Stats } from 'node:fs';
import { copyFile, mkdir, readdir, realpath, rename, stat } from 'node:fs/promises';
import type { Logger } from '@homeport/core';
import { TEMP_PREFIX } from '../request-path.js';
import type { ExportRoot, Found } from './resolve.js';
import { removeQuietly, tempPathNear } from './temp-files.js';

// FICLONE: a reflink on btrfs/XFS makes copying a large video instant; elsewhere it falls back to a copy.
const COPY_NEW = constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE;

const identity = (stats: Stats) => `${stats.dev}:${stats.ino}`;

/**
 * Copies `source` to `destination`, which must not exist (a dangling symlink there is replaced, never
 * followed). A file goes through a temp file and a rename, so a failed copy leaves nothing behind; a folder
 * is created, then filled when `deep` (COPY with Depth: 0 copies the folder alone, RFC 4918 9.8.3).
 */
export async function copyResource(
  root: ExportRoot,
  source: Found,
  destination: string,
  deep: boolean,
  log: Logger | undefined,
): Promise<void> {
  if (!source.stats.isDirectory()) {
    const temp = tempPathNear(destination);
    try {
      await copyFile(source.targetPath, temp, COPY_NEW);
      await rename(temp, destination);
    } catch (error) {
      await removeQuietly(temp, log);
      throw error;
    }
    return;
  }
  await mkdir(destination);
  // Folders already entered, by device and inode: a symlink back up the tree must not copy forever.
  if (deep) await copyMembers(root, source.targetPath, destination, new Set([identity(source.stats)]));
}

async function copyMembers(root: ExportRoot, from: string, to: string, entered: Set<string>): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.name.startsWith(TEMP_PREFIX)) continue;
    const path = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    let real = path;
    let stats: Stats;
    if (entry.isSymbolicLink()) {
      try {
        real = await realpath(path);
      } catch {
        // A dangling or looping link has nothing to copy.
        continue;
      }
      if (!root.contains(real)) continue;
      stats = await stat(real);
    } else if (entry.isDirectory() || entry.isFile()) {
      stats = await stat(path);
    } else {
      continue; // FIFOs, sockets and devices are not WebDAV resources.
    }
    if (stats.isDirectory()) {
      const id = identity(stats);
      if (entered.has(id)) continue;
      entered.add(id);
      await mkdir(target);
      await copyMembers(root, real, target, entered);
    } else if (stats.isFile()) {
      await copyFile(real, target, COPY_NEW);
    }
  }
}
