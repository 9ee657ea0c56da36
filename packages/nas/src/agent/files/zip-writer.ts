// A streaming ZIP writer of our own: entries stored (no compression), each followed by a data descriptor
// (the CRC is known only once the bytes went out), ZIP64 where sizes, offsets or the entry count need it.
// Written from PKWARE's APPNOTE.TXT 6.3.x; sections cited where a choice is not obvious.

import type { Writable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { createCentralDirectory } from './zip-central.js';

/** Largest value a 4-byte field holds; it also marks "see the ZIP64 extra field" (APPNOTE 4.4.8). */
const MAX32 = 0xffff_ffff;
/** Largest entry count the classic end record holds; it also marks "see the ZIP64 end record". */
const MAX16 = 0xffff;

const SIG_LOCAL = 0x0403_4b50;
const SIG_DESCRIPTOR = 0x0807_4b50;
const SIG_CENTRAL = 0x0201_4b50;
const SIG_END64 = 0x0606_4b50;
const SIG_LOCATOR64 = 0x0706_4b50;
const SIG_END = 0x0605_4b50;

/** Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8 (APPNOTE 4.4.4, appendix D). */
const FLAGS = 0x0008 | 0x0800;
/** "Version needed": 2.0 for folders and data descriptors, 4.5 for ZIP64 (APPNOTE 4.4.3.2). */
const NEEDS_20 = 20;
const NEEDS_45 = 45;
/** "Made by" Unix (high byte 3), so extractors read the mode in the high half of the external attributes. */
const MADE_BY_UNIX = 3 << 8;
const FILE_MODE = 0o100644;
const FOLDER_MODE = 0o040755;
/** MS-DOS "directory" attribute, for extractors that ignore the Unix mode. */
const DOS_DIRECTORY = 0x10;
const EXTRA_ZIP64 = 0x0001;
/** "UT" extended timestamp: the modification time in UTC seconds, beside the zone-less DOS time. */
const EXTRA_TIME = 0x5455;

/** A name longer than this (UTF-8 bytes) does not fit the 2-byte length field. */
const MAX_NAME_BYTES = 0xffff;
/** Small pieces are gathered up to this many bytes per write to the output. */
const GATHER_BYTES = 64 * 1024;

export type ZipErrorCode =
  /** The bytes read for an entry are not as many as announced: the file changed while it was read. */
  | 'size_mismatch'
  /** Too many entries, or names too long, for the central directory's bound (zip-central.ts). */
  | 'too_many_entries'
  | 'name_too_long'
  /** The output went away (the client hung up) or was destroyed. */
  | 'output_closed'
  /** addFile/addFolder after finish(), or while another entry is being written. */
  | 'misuse';

export class ZipError extends Error {
  readonly code: ZipErrorCode;
  constructor(code: ZipErrorCode, message: string) {
    super(message);
    this.name = 'ZipError';
    this.code = code;
  }
}

export interface ZipWriterOptions {
  /**
   * Write every entry and the end record in ZIP64 form even when small: tests exercise the ZIP64 layout
   * without writing 4 GiB. Off by default (classic records are read by more old tools).
   */
  forceZip64?: boolean;
  /**
   * A private folder where the central directory (the index written at the end) may spill once it passes
   * `centralMemoryBytes`: without one, an archive of many entries holds its whole index in memory and is
   * refused past its bound.
   */
  spillDir?: string;
  centralMemoryBytes?: number;
  maxCentralBytes?: number;
}

export interface ZipWriter {
  /** A folder entry (`name` without the trailing `/`), so empty folders survive the round trip. */
  addFolder(name: string, modified: Date): Promise<void>;
  /**
   * A file entry of exactly `size` bytes taken from `data`, written as they come (one chunk in memory at a
   * time; waits for the output to drain). Rejects with `size_mismatch` when `data` gives more or fewer bytes:
   * the caller must then destroy the output, since what went out is not a valid archive.
   */
  addFile(
    name: string,
    size: number,
    modified: Date,
    data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<void>;
  /** Writes the central directory and the end records; the output is not ended (the caller ends it). */
  finish(): Promise<void>;
  /** Bytes written so far. */
  readonly bytesWritten: number;
  /** Frees what the writer holds (the central directory's spill file); call it however the archive ended. */
  close(): Promise<void>;
}

/** DOS date and time (local time, 2-second resolution, 1980–2107), as every extractor expects them. */
function dosDateTime(date: Date): { time: number; date: number } {
  let year = date.getFullYear();
  if (Number.isNaN(year) || year < 1980) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01 00:00
  if (year > 2107) year = 2107;
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

/** The "UT" extra field with the modification time, or nothing when it does not fit 32 bits unsigned. */
function timeExtra(date: Date): Buffer {
  const seconds = Math.floor(date.getTime() / 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX32) return Buffer.alloc(0);
  const extra = Buffer.alloc(9);
  extra.writeUInt16LE(EXTRA_TIME, 0);
  extra.writeUInt16LE(5, 2);
  extra.writeUInt8(1, 4); // bit 0: modification time present
  extra.writeUInt32LE(seconds, 5);
  return extra;
}

/** 8-byte little-endian field; sizes and offsets stay far below 2^53. */
function writeUInt64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeBigUInt64LE(BigInt(value), offset);
}

interface CentralEntry {
  name: Buffer;
  dos: { time: number; date: number };
  time: Buffer;
  crc: number;
  size: number;
  offset: number;
  folder: boolean;
  zip64: boolean;
}

/** The central directory record of one entry (APPNOTE 4.3.12), with ZIP64 fields for what overflows. */
function centralRecord(entry: CentralEntry): Buffer {
  const bigSize = entry.zip64 || entry.size >= MAX32;
  const bigOffset = entry.zip64 || entry.offset >= MAX32;
  // APPNOTE 4.5.3: the ZIP64 field holds only the values whose header fields are 0xFFFFFFFF, in this order.
  const fields = [...(bigSize ? [entry.size, entry.size] : []), ...(bigOffset ? [entry.offset] : [])];
  const zip64 = Buffer.alloc(fields.length === 0 ? 0 : 4 + 8 * fields.length);
  if (fields.length > 0) {
    zip64.writeUInt16LE(EXTRA_ZIP64, 0);
    zip64.writeUInt16LE(8 * fields.length, 2);
    for (const [index, value] of fields.entries()) writeUInt64(zip64, value, 4 + 8 * index);
  }
  const extra = Buffer.concat([zip64, entry.time]);
  const header = Buffer.alloc(46);
  const needs = entry.zip64 || fields.length > 0 ? NEEDS_45 : NEEDS_20;
  header.writeUInt32LE(SIG_CENTRAL, 0);
  header.writeUInt16LE(MADE_BY_UNIX | needs, 4);
  header.writeUInt16LE(needs, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(0, 10); // stored
  header.writeUInt16LE(entry.dos.time, 12);
  header.writeUInt16LE(entry.dos.date, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(bigSize ? MAX32 : entry.size, 20);
  header.writeUInt32LE(bigSize ? MAX32 : entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(extra.length, 30);
  header.writeUInt16LE(0, 32); // comment length
  header.writeUInt16LE(0, 34); // disk number
  header.writeUInt16LE(0, 36); // internal attributes
  const mode = entry.folder ? FOLDER_MODE : FILE_MODE;
  header.writeUInt32LE(((mode << 16) | (entry.folder ? DOS_DIRECTORY : 0)) >>> 0, 38);
  header.writeUInt32LE(bigOffset ? MAX32 : entry.offset, 42);
  return Buffer.concat([header, entry.name, extra]);
}

/**
 * A ZIP writer onto `output` (an HTTP response). It never holds a file's bytes: each chunk is written as it
 * comes and the next is asked for once the output can take more.
 *
 * @example
 *   const zip = createZipWriter(response);
 *   await zip.addFolder('photos', new Date());
 *   await zip.addFile('photos/a.jpg', stats.size, stats.mtime, createReadStream(path));
 *   await zip.finish();
 *   response.end();
 */
export function createZipWriter(output: Writable, options: ZipWriterOptions = {}): ZipWriter {
  const force = options.forceZip64 ?? false;
  const central = createCentralDirectory({
    spillDir: options.spillDir,
    memoryBytes: options.centralMemoryBytes,
    maxBytes: options.maxCentralBytes,
  });
  let entries = 0;
  let offset = 0;
  let busy = false;
  let finished = false;

  /** Resolves once the output can take more; rejects if it closes or fails first. */
  const drained = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const cleanup = () => {
        output.off('drain', onDrain);
        output.off('close', onClose);
        output.off('error', onClose);
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new ZipError('output_closed', 'The output closed before the archive was complete'));
      };
      output.on('drain', onDrain);
      output.on('close', onClose);
      output.on('error', onClose);
    });

  const push = async (chunk: Uint8Array): Promise<void> => {
    if (output.destroyed || output.writableEnded)
      throw new ZipError('output_closed', 'The output closed before the archive was complete');
    if (!output.write(chunk)) await drained();
  };
  // Headers, descriptors and small files are gathered into writes of up to GATHER_BYTES: on an HTTP response
  // each write is a chunk of its own (a header and a syscall), which a folder of small files pays per piece.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flushPending = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const gathered = pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    await push(gathered);
  };
  const write = async (chunk: Uint8Array): Promise<void> => {
    offset += chunk.length;
    if (chunk.length >= GATHER_BYTES) {
      await flushPending();
      await push(chunk);
      return;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= GATHER_BYTES) await flushPending();
  };

  const begin = (name: string): Buffer => {
    if (finished) throw new ZipError('misuse', 'The archive is already finished');
    if (busy) throw new ZipError('misuse', 'Another entry is still being written');
    const bytes = Buffer.from(name, 'utf8');
    if (bytes.length === 0 || bytes.length > MAX_NAME_BYTES)
      throw new ZipError('name_too_long', `An entry name must be 1 to ${MAX_NAME_BYTES} bytes`);
    return bytes;
  };

  const record = async (entry: CentralEntry): Promise<void> => {
    if (!(await central.add(centralRecord(entry))))
      throw new ZipError('too_many_entries', 'The folder has too many entries for one archive');
    entries += 1;
  };

  /** The local header (APPNOTE 4.3.7): CRC and sizes zero, they follow the data in the descriptor. */
  const localHeader = (name: Buffer, dos: { time: number; date: number }, time: Buffer, zip64: boolean) => {
    // 4.3.9.2: with a ZIP64 field in the local header, the descriptor's sizes are 8 bytes; the field's own
    // values are zero here like the 4-byte ones (known only after the data).
    const zip64Extra = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      zip64Extra.writeUInt16LE(EXTRA_ZIP64, 0);
      zip64Extra.writeUInt16LE(16, 2);
    }
    const extra = Buffer.concat([zip64Extra, time]);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(SIG_LOCAL, 0);
    header.writeUInt16LE(zip64 ? NEEDS_45 : NEEDS_20, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(dos.time, 10);
    header.writeUInt16LE(dos.date, 12);
    header.writeUInt32LE(0, 14);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 18);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extra.length, 28);
    return Buffer.concat([header, name, extra]);
  };

  const descriptor = (crc: number, size: number, zip64: boolean): Buffer => {
    const buffer = Buffer.alloc(zip64 ? 24 : 16);
    buffer.writeUInt32LE(SIG_DESCRIPTOR, 0);
    buffer.writeUInt32LE(crc, 4);
    if (zip64) {
      writeUInt64(buffer, size, 8);
      writeUInt64(buffer, size, 16);
    } else {
      buffer.writeUInt32LE(size, 8);
      buffer.writeUInt32LE(size, 12);
    }
    return buffer;
  };

  const addEntry = async (
    name: string,
    size: number,
    modified: Date,
    folder: boolean,
    data: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined,
  ): Promise<void> => {
    const bytes = begin(folder ? `${name}/` : name);
    busy = true;
    try {
      const start = offset;
      const dos = dosDateTime(modified);
      const time = timeExtra(modified);
      // Decided before the data: an entry whose announced size reaches 4 GiB gets 8-byte sizes.
      const zip64 = force || size >= MAX32;
      await write(localHeader(bytes, dos, time, zip64));
      let crc = 0;
      let read = 0;
      if (data !== undefined) {
        for await (const chunk of data) {
          read += chunk.length;
          if (read > size) break;
          crc = crc32(chunk, crc);
          await write(chunk);
        }
      }
      if (read !== size)
        throw new ZipError('size_mismatch', `"${name}" gave ${read} bytes, not the ${size} announced`);
      await write(descriptor(crc, size, zip64));
      await record({ name: bytes, dos, time, crc, size, offset: start, folder, zip64 });
    } finally {
      busy = false;
    }
  };

  const finish = async (): Promise<void> => {
    if (finished) throw new ZipError('misuse', 'The archive is already finished');
    if (busy) throw new ZipError('misuse', 'Another entry is still being written');
    finished = true;
    const start = offset;
    await central.replay(write);
    const size = offset - start;
    // APPNOTE 4.4.1.4: the ZIP64 end record when any count, size or offset overflows its classic field.
    const zip64 = force || entries > MAX16 || size >= MAX32 || start >= MAX32;
    if (zip64) {
      const end64At = offset;
      const end64 = Buffer.alloc(56);
      end64.writeUInt32LE(SIG_END64, 0);
      writeUInt64(end64, 44, 4); // size of the rest of this record
      end64.writeUInt16LE(MADE_BY_UNIX | NEEDS_45, 12);
      end64.writeUInt16LE(NEEDS_45, 14);
      end64.writeUInt32LE(0, 16); // this disk
      end64.writeUInt32LE(0, 20); // disk of the central directory
      writeUInt64(end64, entries, 24);
      writeUInt64(end64, entries, 32);
      writeUInt64(end64, size, 40);
      writeUInt64(end64, start, 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(SIG_LOCATOR64, 0);
      locator.writeUInt32LE(0, 4);
      writeUInt64(locator, end64At, 8);
      locator.writeUInt32LE(1, 16); // total disks
      await write(Buffer.concat([end64, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(SIG_END, 0);
    end.writeUInt16LE(0, 4);
    end.writeUInt16LE(0, 6);
    end.writeUInt16LE(zip64 ? MAX16 : entries, 8);
    end.writeUInt16LE(zip64 ? MAX16 : entries, 10);
    end.writeUInt32LE(zip64 ? MAX32 : size, 12);
    end.writeUInt32LE(zip64 ? MAX32 : start, 16);
    end.writeUInt16LE(0, 20); // comment length
    await write(end);
    await flushPending();
    await central.close();
  };

  return {
    addFolder: (name, modified) => addEntry(name, 0, modified, true, undefined),
    addFile: (name, size, modified, data) => addEntry(name, size, modified, false, data),
    finish,
    get bytesWritten() {
      return offset;
    },
    close: () => central.close(),
  };
}
