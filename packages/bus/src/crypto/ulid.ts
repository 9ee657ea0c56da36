// Frame ids: ULIDs (48-bit millisecond time, 80 random bits, Crockford base32), monotonic within a process
// so ids from one sender sort in the order they were made even inside one millisecond.

import { randomBytes } from 'node:crypto';
import { BusCryptoError } from './errors.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIME = 2 ** 48 - 1;
const RANDOM_BYTES = 10;

/** Clock and randomness of a ULID factory; tests pass their own. */
export interface UlidOptions {
  /** Milliseconds since the Unix epoch. */
  now?: () => number;
  /** `n` random bytes. */
  random?: (n: number) => Uint8Array;
}

/**
 * A monotonic ULID generator. Within one millisecond (or when the clock steps back) it reuses the last time
 * and adds one to the last random part; in the practically impossible case that the 80 bits overflow, it
 * moves to the next millisecond.
 *
 * @example
 *   const nextId = createUlidFactory();
 *   nextId(); // '01J9ZQ4Y3W6B5T0G8K2M1N7P4R'
 */
export function createUlidFactory(options: UlidOptions = {}): () => string {
  const now = options.now ?? Date.now;
  const random = options.random ?? ((n: number) => randomBytes(n));
  let lastTime = -1;
  let lastRandom = new Uint8Array(RANDOM_BYTES);
  return () => {
    let time = now();
    if (!Number.isSafeInteger(time) || time < 0 || time > MAX_TIME)
      throw new BusCryptoError('bus_frame_invalid', `a ULID time is 0..2^48-1 ms, got ${time}`);
    if (time <= lastTime) {
      time = lastTime;
      if (!increment(lastRandom)) {
        time = lastTime + 1;
        lastRandom = Uint8Array.from(random(RANDOM_BYTES));
      }
    } else {
      lastRandom = Uint8Array.from(random(RANDOM_BYTES));
    }
    if (lastRandom.byteLength !== RANDOM_BYTES)
      throw new BusCryptoError('bus_frame_invalid', `a ULID takes ${RANDOM_BYTES} random bytes`);
    lastTime = time;
    return encodeTime(time) + encodeRandom(lastRandom);
  };
}

/** A process-wide monotonic ULID generator (system clock, CSPRNG). */
export const ulid: () => string = createUlidFactory();

/** Whether `id` is a ULID in canonical form (26 upper-case Crockford base32 characters, time ≤ 2^48-1). */
export function isUlid(id: string): boolean {
  return ULID.test(id);
}

/** The millisecond time a ULID carries; `bus_frame_invalid` when `id` is not a ULID. */
export function ulidTime(id: string): number {
  if (!isUlid(id)) throw new BusCryptoError('bus_frame_invalid', 'not a ULID');
  let time = 0;
  for (let i = 0; i < 10; i++) time = time * 32 + ALPHABET.indexOf(id.charAt(i));
  return time;
}

function encodeTime(time: number): string {
  let out = '';
  let rest = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

// 80 bits as two 40-bit halves (exact in a double), eight characters each.
function encodeRandom(bytes: Uint8Array): string {
  return encode40(bytes, 0) + encode40(bytes, 5);
}

function encode40(bytes: Uint8Array, offset: number): string {
  let value = 0;
  for (let i = 0; i < 5; i++) value = value * 256 + (bytes[offset + i] ?? 0);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = ALPHABET.charAt(value % 32) + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/** Adds one to a big-endian byte string in place; false when it wrapped around to zero. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i] ?? 0) + 1;
    bytes[i] = next & 0xff;
    if (next <= 0xff) return true;
  }
  return false;
}
