// Opens the files a ZIP download reads: small ones read whole, large ones streamed, and a check afterwards that
// the file did not change while it was read. Small files are read on the event loop while that is fast (a
// folder of 10,000 notes would otherwise cost five thread-pool round trips each), as folder listings stat
// theirs (dav/fs/list-members.ts).

import {
  closeSync,
  constants,
  createReadStream,
  fstat,
  fstatSync,
  openSync,
  readSync,
  type Stats,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errnoCode } from '../dav/fs/resolve.js';

/** Files up to this size are read in one go; larger ones are streamed this much at a time. */
export const CHUNK_BYTES = 256 * 1024;
/** One file opened, read and stated on the event loop may take this long before the rest go to the pool. */
const INLINE_BUDGET_MS = 8;
// O_NOFOLLOW: an entry seen as a regular file and swapped for a symlink before the open must not be followed.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Errors that mean "it is gone" (or was never there to read): the entry is skipped, the archive goes on. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM']);

export interface FileSource {
  stats: Stats;
  data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Whether the file is still the one stated at the open (same inode, size, mtime, ctime), after the read. */
  unchanged(): Promise<boolean>;
  close(): Promise<void>;
}

const sameFile = (a: Stats, b: Stats) =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

const fstatAsync = (fd: number) =>
  new Promise<Stats>((resolve, reject) => fstat(fd, (e, s) => (e ? reject(e) : resolve(s))));

function readWholeSync(fd: number, size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const count = readSync(fd, buffer, filled, size - filled, filled);
    if (count === 0) break;
    filled += count;
  }
  return buffer.subarray(0, filled);
}

async function readWhole(handle: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Opens on the event loop; undefined when the entry is gone or not a regular file. */
function openInline(path: string): FileSource | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    if (GONE.has(errnoCode(error) ?? '')) return undefined;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return undefined;
    }
    if (stats.size <= CHUNK_BYTES) {
      const data = readWholeSync(fd, stats.size);
      const after = fstatSync(fd);
      closeSync(fd);
      return {
        stats,
        data: [data],
        unchanged: async () => sameFile(stats, after),
        close: async () => undefined,
      };
    }
    let open = true;
    return {
      stats,
      data: createReadStream('', { fd, autoClose: false, highWaterMark: CHUNK_BYTES }),
      unchanged: async () => sameFile(stats, await fstatAsync(fd)),
      close: async () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Opens through the thread pool; undefined when the entry is gone or not a regular file. */
async function openPooled(path: string): Promise<FileSource | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, READ_FLAGS);
  } catch (error) {
    if (GONE.has(errnoCode(error) ?? '')) return undefined;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return undefined;
    }
    const data =
      stats.size <= CHUNK_BYTES
        ? [await readWhole(handle, stats.size)]
        : createReadStream('', { fd: handle, autoClose: false, highWaterMark: CHUNK_BYTES });
    return {
      stats,
      data,
      unchanged: async () => sameFile(stats, await handle.stat()),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Opens files one after the other, inline while that stays quick (state kept for one download). */
export function fileSources(): { open(path: string): Promise<FileSource | undefined> } {
  let inline = true;
  return {
    async open(path) {
      if (!inline) return openPooled(path);
      const started = performance.now();
      const source = openInline(path);
      if (performance.now() - started > INLINE_BUDGET_MS) inline = false;
      return source;
    },
  };
}
