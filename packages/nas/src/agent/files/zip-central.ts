// The ZIP central directory while an archive is written: its records can only go out at the end, so they are
// kept — in memory up to a bound, then in an unlinked temp file — and replayed in order by finish().

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Records kept in memory before they move to the spill file. */
export const DEFAULT_CENTRAL_MEMORY_BYTES = 4 * 1024 * 1024;
/**
 * Without a spill folder, the whole central directory must fit in memory: this much at most (~100,000
 * entries); with one, its size on disk is bounded by this times 16 (several million entries).
 */
export const DEFAULT_MAX_CENTRAL_BYTES = 16 * 1024 * 1024;
const SPILL_FACTOR = 16;
/** Bytes replayed from the spill file at a time. */
const REPLAY_BYTES = 1024 * 1024;

export interface CentralDirectoryOptions {
  /** A private folder for the spill file (the export's state dir); without one, memory only. */
  spillDir?: string | undefined;
  memoryBytes?: number | undefined;
  maxBytes?: number | undefined;
}

export interface CentralDirectory {
  /** Adds one record; false when the directory is full (the archive cannot hold more entries). */
  add(record: Buffer): Promise<boolean>;
  /** Gives every record in order, a batch at a time; `write` must resolve once the batch is taken. */
  replay(write: (chunk: Buffer) => Promise<void>): Promise<void>;
  readonly bytes: number;
  /** Frees the spill file (harmless twice). */
  close(): Promise<void>;
}

export function createCentralDirectory(options: CentralDirectoryOptions = {}): CentralDirectory {
  const memoryBytes = options.memoryBytes ?? DEFAULT_CENTRAL_MEMORY_BYTES;
  const maxBytes =
    options.maxBytes ??
    (options.spillDir === undefined ? DEFAULT_MAX_CENTRAL_BYTES : DEFAULT_MAX_CENTRAL_BYTES * SPILL_FACTOR);
  let memory: Buffer[] = [];
  let inMemory = 0;
  let spilled = 0;
  let total = 0;
  let spill: FileHandle | undefined;

  const openSpill = async (folder: string): Promise<FileHandle> => {
    const path = join(folder, `zip-central-${randomBytes(8).toString('hex')}`);
    const handle = await open(path, 'wx+', 0o600);
    // Unlinked at once: the bytes live as long as the descriptor, and a crash leaves no file behind.
    await unlink(path);
    return handle;
  };

  const flush = async (): Promise<void> => {
    if (options.spillDir === undefined || inMemory === 0) return;
    spill ??= await openSpill(options.spillDir);
    let rest = memory;
    let at = spilled;
    while (rest.length > 0) {
      const { bytesWritten } = await spill.writev(rest, at);
      at += bytesWritten;
      let skip = bytesWritten;
      const left: Buffer[] = [];
      for (const chunk of rest) {
        if (skip >= chunk.length) skip -= chunk.length;
        else {
          left.push(skip === 0 ? chunk : chunk.subarray(skip));
          skip = 0;
        }
      }
      rest = left;
    }
    spilled = at;
    memory = [];
    inMemory = 0;
  };

  return {
    async add(record) {
      if (total + record.length > maxBytes) return false;
      memory.push(record);
      inMemory += record.length;
      total += record.length;
      if (inMemory >= memoryBytes) await flush();
      return true;
    },
    async replay(write) {
      if (spill !== undefined) {
        for (let at = 0; at < spilled; ) {
          // A fresh buffer per batch: the output may hold it until the socket takes it.
          const buffer = Buffer.allocUnsafe(Math.min(REPLAY_BYTES, spilled - at));
          const { bytesRead } = await spill.read(buffer, 0, buffer.length, at);
          if (bytesRead === 0) throw new Error('The central directory spill file ended early');
          await write(buffer.subarray(0, bytesRead));
          at += bytesRead;
        }
      }
      for (const record of memory) await write(record);
    },
    get bytes() {
      return total;
    },
    async close() {
      memory = [];
      const handle = spill;
      spill = undefined;
      await handle?.close();
    },
  };
}
