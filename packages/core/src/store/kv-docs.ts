// What repositories on the KV port share, whatever their domain: one key token for any text, fresh ids,
// bounded parallel reads and deletes, SQLite's order of text (so both stores list alike), and reading a
// document with a check of its shape.

import { createHash, randomBytes } from 'node:crypto';
import { type KvBucket, type KvEntry, keyToken } from './kv.js';

/** Longest token kept as base64url: a NATS subject must fit the client's protocol line (4 KiB). */
const MAX_TOKEN = 200;

/** SHA-256 of a text, base64url. */
export const sha256Token = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('base64url');

/**
 * One key token for any text (an id from a URL may hold `.`, `*` or `>`): its base64url, or, when that is
 * longer than MAX_TOKEN, `=` and the SHA-256 of the text — never mistaken for a base64url token, which has
 * no `=` (the empty text's token is `=` alone).
 */
export function kvKeyPart(text: string): string {
  const token = keyToken(text);
  return token.length <= MAX_TOKEN ? token : `=${sha256Token(text)}`;
}

/**
 * A fresh id for a record written under its own key (16 base64url characters, 96 random bits). Not a port:
 * nothing observable depends on its value, only on two never being equal.
 */
export const freshKvId = (): string => randomBytes(12).toString('base64url');

/** The tokens of a key. */
export const keyTokens = (key: string): string[] => key.split('.');

/** The last token of a key (the record an index key points at). */
export const lastKeyToken = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** Store calls one listing keeps in flight: enough to hide round trips, few enough not to flood a server. */
const IN_FLIGHT = 16;

/** `work` over every item with at most IN_FLIGHT running; the first failure fails the whole and stops it. */
export async function mapBounded<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index); // index < items.length
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
  return results;
}

/**
 * SQLite's BINARY collation on UTF-8 text, which is code point order. JavaScript's `<` compares UTF-16
 * units, where surrogates (U+10000 and up) sort below U+E000–U+FFFF: they are moved above them here.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number): number =>
  unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;

/**
 * Reads a document a store wrote, checking the fields its readers rely on: a value of another shape (a
 * foreign writer, a layout bug) fails loudly instead of spreading `undefined` through the service.
 */
export async function readKvDoc<T extends object>(
  bucket: KvBucket,
  key: string,
  fields: readonly (keyof T & string)[],
): Promise<KvEntry<T> | undefined> {
  const entry = await bucket.get<unknown>(key);
  if (entry === undefined) return undefined;
  const { value } = entry;
  if (typeof value !== 'object' || value === null || fields.some((field) => !(field in value)))
    throw new Error(`${bucket.name}: the value at ${key} is not the document this store writes there`);
  return entry as KvEntry<T>; // fields checked above
}

/** Deletes keys, ignoring those already gone; for clean-ups whose keys nobody reads any more. */
export async function deleteKvKeys(bucket: KvBucket, keys: readonly string[]): Promise<void> {
  await mapBounded(keys, (key) => bucket.delete(key));
}
