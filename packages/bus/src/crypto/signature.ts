// Ed25519 signatures from raw keys, on the hot path of every frame: KeyObjects are made once per identity and
// once per public key (bounded cache), since building one costs more than the signature itself.

import { type KeyObject, sign, verify } from 'node:crypto';
import { nodeBuffer, toHex } from './encoding.js';
import type { Identity } from './identity.js';
import { ed25519PrivateKey, ed25519PublicKey, KEY_BYTES } from './keys.js';

/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** Public keys of this many senders stay imported; the oldest imported is dropped past it. */
const PUBLIC_KEY_CACHE_SIZE = 4096;

// Memoised pure derivations, not state: keyed by the identity's seed array (dropped with it) and by the public
// key's hex (bounded), so they can be module-level without being hidden globals in any meaningful sense.
const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function privateKeyOf(identity: Pick<Identity, 'signSeed'>): KeyObject {
  let key = privateKeys.get(identity.signSeed);
  if (key === undefined) {
    key = ed25519PrivateKey(identity.signSeed);
    privateKeys.set(identity.signSeed, key);
  }
  return key;
}

function publicKeyOf(signPub: Uint8Array): KeyObject {
  const hex = toHex(signPub);
  let key = publicKeys.get(hex);
  if (key === undefined) {
    key = ed25519PublicKey(signPub);
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) {
      const oldest = publicKeys.keys().next();
      if (oldest.done !== true) publicKeys.delete(oldest.value);
    }
    publicKeys.set(hex, key);
  }
  return key;
}

/** Ed25519 signature (64 bytes) of `message` by the identity's signing key. */
export function signBytes(identity: Pick<Identity, 'signSeed'>, message: Uint8Array): Uint8Array {
  const signature = sign(null, message, privateKeyOf(identity));
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
}

/**
 * Whether `signature` is a valid Ed25519 signature of `message` by `signPub`. False (never a throw) for a
 * key or signature of the wrong size.
 */
export function verifyBytes(signPub: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signPub.byteLength !== KEY_BYTES || signature.byteLength !== SIGNATURE_BYTES) return false;
  try {
    return verify(null, message, publicKeyOf(signPub), nodeBuffer(signature));
  } catch {
    // OpenSSL refused the key itself (not a point on the curve): no signature by it is valid.
    return false;
  }
}
