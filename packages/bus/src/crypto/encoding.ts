// Strict byte encodings: base64url (frames, sealed keys, request headers), standard base64 (unibus identity
// files) and hex. Decoders accept only the canonical spelling of some bytes, so two different strings never
// decode to the same bytes (a re-spelled field must not pass as the signed one).

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const BASE64_STD = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

/** Decodes unpadded base64url; undefined unless `text` is the canonical spelling of some bytes. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1 || !BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Buffer ignores stray low bits in the last character; re-encoding catches them.
  if (bytes.toString('base64url') !== text) return undefined;
  return view(bytes);
}

/** Standard padded base64 (RFC 4648 §4), what Go's `base64.StdEncoding` writes. */
export function toBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}

/** Decodes padded standard base64; undefined unless `text` is canonical (as Go writes it). */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !BASE64_STD.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return view(bytes);
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

/** Decodes hex of either case; undefined for odd lengths or non-hex characters. */
export function fromHex(text: string): Uint8Array | undefined {
  if (!HEX.test(text)) return undefined;
  return view(Buffer.from(text, 'hex'));
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8; undefined when the bytes are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    // Invalid UTF-8 is an answer (undefined), not an error: callers treat the input as malformed.
    return undefined;
  }
}

/** Whether two byte strings are equal (not constant-time: for public values only). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && asBuffer(a).equals(asBuffer(b));
}

/** A Buffer over the same memory (no copy), for node:crypto calls. */
export function nodeBuffer(bytes: Uint8Array): Buffer {
  return asBuffer(bytes);
}
