// Raw 32-byte Ed25519 and X25519 keys to node:crypto KeyObjects and back. Private keys are wrapped in the
// fixed PKCS#8 prefix of RFC 8410 (JWK import would need the public half, which is what we derive here).

import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { fromBase64Url, nodeBuffer } from './encoding.js';
import { BusCryptoError } from './errors.js';

/** Bytes of every raw key the bus uses: Ed25519 seeds and public keys, X25519 private and public keys. */
export const KEY_BYTES = 32;

// RFC 8410 PKCS#8 and SPKI headers, followed by the 32 raw key bytes.
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/** Checks a raw key's size, naming it in the error. */
export function assertKeySize(bytes: Uint8Array, name: string, size = KEY_BYTES): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== size)
    throw new BusCryptoError(
      'bus_key_invalid',
      `${name} must be ${size} bytes, got ${describeLength(bytes)}`,
    );
}

function describeLength(value: unknown): string {
  return value instanceof Uint8Array ? `${value.byteLength}` : typeof value;
}

/** The Ed25519 private key of a 32-byte seed. */
export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  assertKeySize(seed, 'Ed25519 seed');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

/** The Ed25519 public key of 32 raw bytes. */
export function ed25519PublicKey(pub: Uint8Array): KeyObject {
  assertKeySize(pub, 'Ed25519 public key');
  return createPublicKey({
    key: Buffer.concat([SPKI_ED25519, nodeBuffer(pub)]),
    format: 'der',
    type: 'spki',
  });
}

/** The X25519 private key of 32 raw bytes (clamped by X25519 itself when used). */
export function x25519PrivateKey(priv: Uint8Array): KeyObject {
  assertKeySize(priv, 'X25519 private key');
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, priv]), format: 'der', type: 'pkcs8' });
}

/** The raw 32 bytes of an Ed25519 or X25519 public key (or of the public half of a private key). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return rawJwkField(publicKey, 'x');
}

/** The raw 32 bytes of an Ed25519 seed or X25519 private key. */
export function rawPrivateKey(key: KeyObject): Uint8Array {
  return rawJwkField(key, 'd');
}

function rawJwkField(key: KeyObject, field: 'x' | 'd'): Uint8Array {
  const value = key.export({ format: 'jwk' })[field];
  const bytes = typeof value === 'string' ? fromBase64Url(value) : undefined;
  if (bytes === undefined || bytes.byteLength !== KEY_BYTES)
    throw new BusCryptoError('bus_key_invalid', `not an Ed25519 or X25519 key (JWK ${field})`);
  // A copy of exactly 32 bytes: the decoded view may share Node's Buffer pool, and keys outlive it.
  return Uint8Array.from(bytes);
}
