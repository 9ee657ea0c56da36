// The files every server of bench/webdav serves, made once per run: a 1 GiB file, a 4 KiB file and a folder of
// 10,000 small files, plus the folder uploads land in.

import { randomFillSync } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const BIG_NAME = 'big-1g.bin';
export const BIG_BYTES = 1024 * 1024 * 1024;
export const SMALL_NAME = 'small-4k.bin';
export const SMALL_BYTES = 4096;
export const FOLDER_NAME = 'ten-thousand';
export const FOLDER_FILES = 10_000;
export const UPLOADS_NAME = 'uploads';

export interface Fixtures {
  /** The shared folder: `BIG_NAME`, `SMALL_NAME`, `FOLDER_NAME/`, `UPLOADS_NAME/`. */
  root: string;
  big: string;
  folder: string;
  uploads: string;
}

/** Random bytes written in 16 MiB blocks (each block refilled, so no two are alike and nothing is sparse). */
function writeRandomFile(path: string, bytes: number): void {
  const block = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(path, 'w', 0o644);
  try {
    for (let written = 0; written < bytes; ) {
      const length = Math.min(block.length, bytes - written);
      randomFillSync(block, 0, length);
      written += writeSync(fd, block, 0, length);
    }
  } finally {
    closeSync(fd);
  }
}

/** Creates the fixtures under `workDir/files`; files are 0644 so apache's www-data children can read them. */
export function createFixtures(workDir: string): Fixtures {
  const root = join(workDir, 'files');
  const folder = join(root, FOLDER_NAME);
  const uploads = join(root, UPLOADS_NAME);
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  mkdirSync(uploads, { mode: 0o755 });
  const big = join(root, BIG_NAME);
  writeRandomFile(big, BIG_BYTES);
  writeRandomFile(join(root, SMALL_NAME), SMALL_BYTES);
  for (let index = 0; index < FOLDER_FILES; index += 1) {
    const name = `file-${String(index).padStart(5, '0')}.txt`;
    // Sizes vary a little, as real files do; the content does not matter to a listing.
    writeFileSync(join(folder, name), `${name}\n`.repeat(1 + (index % 16)), { mode: 0o644 });
  }
  return { root, big, folder, uploads };
}

/** Hard links of the 10,000 files under `davDir/FOLDER_NAME`: the same inodes, for a server that will not follow symlinks. */
export function linkFolderInto(fixtures: Fixtures, davDir: string, names: readonly string[]): void {
  const target = join(davDir, FOLDER_NAME);
  mkdirSync(target, { mode: 0o755 });
  for (const name of names) linkSync(join(fixtures.folder, name), join(target, name));
}

/** Removes an uploaded file, so a run's uploads neither fill the disk nor leave dirty pages behind. */
export function removeUpload(path: string): void {
  rmSync(path, { force: true });
}
