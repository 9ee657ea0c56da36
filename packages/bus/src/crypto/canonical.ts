// Canonical bytes: the one unambiguous encoding of a list of fields that signatures, AEAD associated data and
// key derivation inputs are made of — no JSON canonicalisation, no separators that a field could contain.

import { BusCryptoError } from './errors.js';

/** A field: text (UTF-8), a non-negative integer (decimal ASCII, no sign, no leading zeros) or raw bytes. */
export type CanonicalField = string | number | Uint8Array;

/**
 * Encodes `domain` and then each field, each as a 4-byte big-endian length followed by its bytes. The domain
 * comes first and is length-prefixed like the fields, so bytes made for one purpose never parse as another's.
 *
 * @example
 *   canonicalBytes('homeport-bus/frame/v1', [1, 'room', 3])
 *   // 00000015 "homeport-bus/frame/v1" 00000001 "1" 00000004 "room" 00000001 "3"
 */
export function canonicalBytes(domain: string, fields: readonly CanonicalField[]): Uint8Array {
  // Hot path (every frame is signed and authenticated over these): size first, then one buffer written in place.
  const texts: (string | Uint8Array)[] = [domain];
  let length = 4 + Buffer.byteLength(domain, 'utf8');
  for (const field of fields) {
    const part = typeof field === 'number' ? numberText(field) : field;
    texts.push(part);
    length += 4 + (typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.byteLength);
  }
  const out = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const part of texts) {
    const size =
      typeof part === 'string' ? out.write(part, offset + 4, 'utf8') : copyInto(out, part, offset + 4);
    out.writeUInt32BE(size, offset);
    offset += 4 + size;
  }
  // Every byte of the unzeroed buffer must have been written; anything else is a bug, never a signature.
  if (offset !== length) throw new Error(`canonicalBytes wrote ${offset} of ${length} bytes`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function copyInto(out: Buffer, bytes: Uint8Array, offset: number): number {
  out.set(bytes, offset);
  return bytes.byteLength;
}

function numberText(field: number): string {
  // Only integers have one decimal spelling; a fraction or a negative would make two inputs read alike.
  if (!Number.isSafeInteger(field) || field < 0)
    throw new BusCryptoError(
      'bus_frame_invalid',
      `canonical numbers are non-negative integers, got ${field}`,
    );
  return String(field);
}
