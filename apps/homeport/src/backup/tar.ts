// A POSIX ustar archive of regular files and folders, written and read as streams (gzip around it is the
// caller's): enough for Homeport's backups, readable by `tar -xzf`. Entries are streamed, never buffered.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

const BLOCK = 512;
/** ustar's size field holds 11 octal digits: 8 GiB - 1. */
const MAX_SIZE = 8 ** 11 - 1;

export interface TarEntry {
  /** Relative path with `/` separators; folders end without a slash. */
  name: string;
  kind: 'file' | 'folder';
  /** Bytes (files). */
  size: number;
  mode: number;
  /** Unix seconds. */
  mtime: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A canonical relative path: no leading `/`, no empty, `.` or `..` segment, no NUL or backslash. */
export function isSafeEntryName(name: string): boolean {
  if (name === '' || name.startsWith('/') || /[\0\\]/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Splits a name into ustar's prefix (≤ 155 bytes) and name (≤ 100 bytes) fields at a slash. */
function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  for (let at = name.indexOf('/'); at !== -1; at = name.indexOf('/', at + 1)) {
    const prefix = name.slice(0, at);
    const base = name.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return { prefix, base };
  }
  throw new RangeError(`path too long for an archive entry: ${name}`);
}

export function headerBlock(entry: TarEntry): Buffer {
  if (!isSafeEntryName(entry.name)) throw new RangeError(`unsafe archive entry name: ${entry.name}`);
  if (entry.kind === 'file' && (!Number.isSafeInteger(entry.size) || entry.size < 0 || entry.size > MAX_SIZE))
    throw new RangeError(`archive entry too large: ${entry.name}`);
  const { prefix, base } = splitName(entry.kind === 'folder' ? `${entry.name}/` : entry.name);
  const header = Buffer.alloc(BLOCK);
  header.write(base, 0, 100, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(entry.kind === 'file' ? entry.size : 0, 12), 124, 'ascii');
  header.write(octal(Math.max(0, Math.floor(entry.mtime)), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  header.write(entry.kind === 'file' ? '0' : '5', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** Writes entries to `out` in order; `source(entry)` opens a file's content. Ends with two zero blocks. */
export class TarWriter {
  readonly #out: Writable;

  constructor(out: Writable) {
    this.#out = out;
  }

  #write(chunk: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#out.write(chunk, (error) => (error ? reject(error) : resolve()));
    });
  }

  async folder(name: string, mode: number, mtime: number): Promise<void> {
    await this.#write(headerBlock({ name, kind: 'folder', size: 0, mode, mtime }));
  }

  /** A file from disk, of exactly `size` bytes (it must not change while written). */
  async file(name: string, path: string, size: number, mode: number, mtime: number): Promise<void> {
    await this.#write(headerBlock({ name, kind: 'file', size, mode, mtime }));
    let written = 0;
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      written += chunk.length;
      if (written > size) throw new Error(`${path} grew while it was archived`);
      await this.#write(chunk);
    }
    if (written !== size) throw new Error(`${path} changed size while it was archived`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) await this.#write(Buffer.alloc(pad));
  }

  async end(): Promise<void> {
    await this.#write(Buffer.alloc(BLOCK * 2));
  }
}

function readOctal(block: Buffer, start: number, length: number): number {
  const text = block
    .toString('ascii', start, start + length)
    .replace(/\0.*$/, '')
    .trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('not a tar archive (a number field is not octal)');
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function readText(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end === -1 || end > start + length ? start + length : end);
}

function parseHeader(block: Buffer): TarEntry {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1)
    sum += index >= 148 && index < 156 ? 32 : (block[index] ?? 0);
  if (sum !== readOctal(block, 148, 8)) throw new Error('not a tar archive (header checksum)');
  const type = String.fromCharCode(block[156] ?? 0);
  const prefix = readText(block, 345, 155);
  let name = readText(block, 0, 100);
  if (prefix !== '') name = `${prefix}/${name}`;
  const folder = type === '5';
  if (!folder && type !== '0' && type !== '\0')
    throw new Error(`archive entry ${name} is neither a file nor a folder (type ${JSON.stringify(type)})`);
  if (folder) name = name.replace(/\/$/, '');
  if (!isSafeEntryName(name)) throw new Error(`archive entry with an unsafe name: ${JSON.stringify(name)}`);
  return {
    name,
    kind: folder ? 'folder' : 'file',
    size: folder ? 0 : readOctal(block, 124, 12),
    mode: readOctal(block, 100, 8),
    mtime: readOctal(block, 136, 12),
  };
}

/**
 * Extracts an archive into `into` (which must exist): files 0600 and folders 0700 whatever the archive says,
 * names checked (relative, no `..`), only files and folders, each file's bytes exactly its size. Returns the
 * entries in archive order. Stops at the first problem, leaving what was extracted for the caller to remove.
 */
export async function extractTar(input: Readable, into: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let buffered: Buffer = Buffer.alloc(0);
  let current: { entry: TarEntry; left: number; pad: number; out: Writable | undefined } | undefined;
  let finished = false;
  const seen = new Set<string>();

  const openFile = async (entry: TarEntry): Promise<Writable> => {
    const path = join(into, entry.name);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    return createWriteStream(path, { flags: 'wx', mode: 0o600 });
  };
  const closeFile = (out: Writable) =>
    new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
  const writeTo = (out: Writable, chunk: Buffer) =>
    new Promise<void>((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve())));

  for await (const chunk of input as AsyncIterable<Buffer>) {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (!finished) {
      if (current !== undefined) {
        if (current.left > 0) {
          if (buffered.length === 0) break;
          const take = Math.min(current.left, buffered.length);
          if (current.out) await writeTo(current.out, buffered.subarray(0, take));
          buffered = buffered.subarray(take);
          current.left -= take;
          if (current.left > 0) break;
          if (current.out) await closeFile(current.out);
          current.out = undefined;
        }
        if (buffered.length < current.pad) break;
        buffered = buffered.subarray(current.pad);
        current = undefined;
        continue;
      }
      if (buffered.length < BLOCK) break;
      const block = buffered.subarray(0, BLOCK);
      buffered = buffered.subarray(BLOCK);
      if (block.every((byte) => byte === 0)) {
        finished = true;
        break;
      }
      const entry = parseHeader(block);
      if (seen.has(entry.name)) throw new Error(`archive entry ${entry.name} appears twice`);
      seen.add(entry.name);
      entries.push(entry);
      if (entry.kind === 'folder') {
        await mkdir(join(into, entry.name), { recursive: true, mode: 0o700 });
        continue;
      }
      current = {
        entry,
        left: entry.size,
        pad: (BLOCK - (entry.size % BLOCK)) % BLOCK,
        out: await openFile(entry),
      };
      if (entry.size === 0) {
        await closeFile(current.out as Writable);
        current.out = undefined;
      }
    }
  }
  if (!finished || current !== undefined) throw new Error('the archive ends early (truncated?)');
  return entries;
}
