// The files every server of bench/webdav serves, made once per run: a 1 GiB file, a 4 KiB file, folders of
// 10,000 and 100,000 small files, plus the folder uploads land in.

import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';

export const BIG_NAME = 'big-1g.bin';
export const BIG_BYTES = 1024 * 1024 * 1024;
export const SMALL_NAME = 'small-4k.bin';
export const SMALL_BYTES = 4096;
export const FOLDER_NAME = 'ten-thousand';
export const FOLDER_FILES = 10_000;
export const HUGE_FOLDER_NAME = 'hundred-thousand';
export const HUGE_FOLDER_FILES = 100_000;
export const UPLOADS_NAME = 'uploads';

export interface Fixtures {
  /** The shared folder: `BIG_NAME`, `SMALL_NAME`, `FOLDER_NAME/`, `HUGE_FOLDER_NAME/`, `UPLOADS_NAME/`. */
  root: string;
  big: string;
  folder: string;
  hugeFolder: string;
  uploads: string;
}

/** Random bytes written in 16 MiB blocks (each block refilled, so no two are alike and nothing is sparse). */
export function writeRandomFile(path: string, bytes: number): void {
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

/** `files` small files of 15 to 240 bytes; sizes vary a little, as real files do (a listing ignores content). */
function writeSmallFiles(folder: string, files: number): void {
  mkdirSync(folder, { mode: 0o755 });
  const digits = Math.max(5, String(files - 1).length);
  for (let index = 0; index < files; index += 1) {
    const name = `file-${String(index).padStart(digits, '0')}.txt`;
    writeFileSync(join(folder, name), `${name}\n`.repeat(1 + (index % 16)), { mode: 0o644 });
  }
}

/**
 * Creates the fixtures under `workDir/files`; files are 0644 so apache's www-data children can read them.
 * `listingsOnly` (BENCH_WEBDAV_ONLY=propfind) makes only the two folders: no 1 GiB file to write.
 */
export function createFixtures(workDir: string, listingsOnly = false): Fixtures {
  const root = join(workDir, 'files');
  const folder = join(root, FOLDER_NAME);
  const hugeFolder = join(root, HUGE_FOLDER_NAME);
  const uploads = join(root, UPLOADS_NAME);
  mkdirSync(root, { mode: 0o755 });
  mkdirSync(uploads, { mode: 0o755 });
  const big = join(root, BIG_NAME);
  if (!listingsOnly) {
    writeRandomFile(big, BIG_BYTES);
    writeRandomFile(join(root, SMALL_NAME), SMALL_BYTES);
  }
  writeSmallFiles(folder, FOLDER_FILES);
  writeSmallFiles(hugeFolder, HUGE_FOLDER_FILES);
  return { root, big, folder, hugeFolder, uploads };
}

/** Hard links of a fixture folder's files under `davDir/<its name>`: the same inodes, for a server that will not follow symlinks. */
export function linkFolderInto(folder: string, davDir: string): void {
  const target = join(davDir, basename(folder));
  mkdirSync(target, { mode: 0o755 });
  for (const name of readdirSync(folder)) linkSync(join(folder, name), join(target, name));
}

/** Removes an uploaded file, so a run's uploads neither fill the disk nor leave dirty pages behind. */
export function removeUpload(path: string): void {
  rmSync(path, { force: true });
}
