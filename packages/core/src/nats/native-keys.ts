// nkeys seed keys with Node's native Ed25519 for what start-up asks of them — the public and private keys and
// JWT signatures — where @nats-io/nkeys computes them in pure JavaScript (tweetnacl) on every call (issue 15).
// Everything else (the seed, curve sealing) stays with nkeys.

import { createPrivateKey, createPublicKey, verify as edVerify, type KeyObject, sign } from 'node:crypto';
import type { KeyPair } from '@nats-io/nkeys';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** DER prefixes of an Ed25519 PKCS#8 private key and SubjectPublicKeyInfo; the 32 key bytes follow. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function base32Decode(text: string): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error('invalid nkey encoding');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function base32Encode(bytes: Uint8Array): string {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += BASE32[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) text += BASE32[(buffer << (5 - bits)) & 31];
  return text;
}

/** CRC-16/XMODEM, the checksum nkeys appends (little-endian) to every encoded key. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Prefix byte of an encoded private key (`P…`): nkeys' Prefix.Private. */
const PRIVATE_PREFIX = 120;

/** An encoded nkey (public `O…`/`A…`/`U…`, private `P…`): the prefix byte, the payload, the checksum. */
function encodeKey(prefix: number, payload: Uint8Array): string {
  const body = Buffer.concat([Buffer.from([prefix]), payload]);
  const checksum = Buffer.alloc(2);
  checksum.writeUInt16LE(crc16(body));
  return base32Encode(Buffer.concat([body, checksum]));
}

/**
 * The same key pair, with getPublicKey() and getPrivateKey() derived once and sign()/verify() by Node's
 * Ed25519 (Ed25519 is deterministic: the signatures are byte for byte nkeys' own).
 */
export function nativeSeedKey(key: KeyPair): KeyPair {
  // An encoded seed is two prefix bytes (seed marker, role), the 32-byte Ed25519 seed and the checksum.
  const decoded = base32Decode(new TextDecoder().decode(key.getSeed()));
  const [first = 0, second = 0] = decoded;
  const role = ((first & 7) << 5) | ((second & 248) >> 3);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, decoded.subarray(2, 34)]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKeyObject: KeyObject = createPublicKey(privateKey);
  const raw = publicKeyObject.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  const publicKey = encodeKey(role, raw);
  // nkeys' private key is Ed25519's 64-byte secret key (seed, then public key), encoded with its own prefix.
  const privateKey64 = encodeKey(PRIVATE_PREFIX, Buffer.concat([decoded.subarray(2, 34), raw]));
  const native: Partial<KeyPair> = {
    getPublicKey: () => publicKey,
    getPrivateKey: () => new TextEncoder().encode(privateKey64),
    sign: (input) => new Uint8Array(sign(null, input, privateKey)),
    verify: (input, signature) => edVerify(null, input, publicKeyObject, signature),
  };
  return new Proxy(key, {
    get(target, property) {
      if (property in native) return native[property as keyof KeyPair];
      const value: unknown = Reflect.get(target, property);
      // nkeys' own methods run on the key itself (it keeps its seed in its own fields).
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
