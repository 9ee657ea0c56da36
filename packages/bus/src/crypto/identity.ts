// A bus identity: an Ed25519 key pair that signs (frames, control-plane requests) and an X25519 key pair that
// room keys are sealed to. Its JSON form is unibus's, so an identity moves between unibus tools and Homeport.

import { createHash, generateKeyPairSync } from 'node:crypto';
import { bytesEqual, fromBase64, toBase64, toBase64Url, toHex } from './encoding.js';
import { BusCryptoError } from './errors.js';
import {
  assertKeySize,
  ed25519PrivateKey,
  KEY_BYTES,
  rawPrivateKey,
  rawPublicKey,
  x25519PrivateKey,
} from './keys.js';

/** The four raw 32-byte halves of an identity. */
export interface Identity {
  /** Ed25519 public key. */
  readonly signPub: Uint8Array;
  /** Ed25519 private seed (RFC 8032's 32-byte secret key). */
  readonly signSeed: Uint8Array;
  /** X25519 public key. */
  readonly kexPub: Uint8Array;
  /** X25519 private key. */
  readonly kexPriv: Uint8Array;
}

/** A new identity from the system's CSPRNG. */
export function generateIdentity(): Identity {
  const sign = generateKeyPairSync('ed25519');
  const kex = generateKeyPairSync('x25519');
  return {
    signPub: rawPublicKey(sign.publicKey),
    signSeed: rawPrivateKey(sign.privateKey),
    kexPub: rawPublicKey(kex.publicKey),
    kexPriv: rawPrivateKey(kex.privateKey),
  };
}

/** The identity of a given Ed25519 seed and X25519 private key (their public halves derived). */
export function identityFromSeeds(signSeed: Uint8Array, kexPriv: Uint8Array): Identity {
  return {
    signPub: rawPublicKey(ed25519PrivateKey(signSeed)),
    signSeed: Uint8Array.from(signSeed),
    kexPub: rawPublicKey(x25519PrivateKey(kexPriv)),
    kexPriv: Uint8Array.from(kexPriv),
  };
}

/**
 * unibus's identity JSON: `{"sign_pub","sign_priv","kex_pub","kex_priv"}`, standard padded base64, in that
 * order and compact (what Go's `json.Marshal` writes). `sign_priv` is Go's 64-byte `ed25519.PrivateKey`:
 * the seed followed by the public key.
 */
export function identityToJson(identity: Identity): string {
  checkIdentitySizes(identity);
  const signPriv = new Uint8Array(64);
  signPriv.set(identity.signSeed, 0);
  signPriv.set(identity.signPub, 32);
  return JSON.stringify({
    sign_pub: toBase64(identity.signPub),
    sign_priv: toBase64(signPriv),
    kex_pub: toBase64(identity.kexPub),
    kex_priv: toBase64(identity.kexPriv),
  });
}

/**
 * Reads unibus's identity JSON. Every field must be canonical standard base64 of the right size, and each
 * public half must be the one its private half makes (a file whose halves disagree would sign as one key
 * and be known as another): a `bus_identity_invalid` error names the field otherwise.
 */
export function identityFromJson(text: string): Identity {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BusCryptoError('bus_identity_invalid', 'identity is not JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BusCryptoError('bus_identity_invalid', 'identity is not a JSON object');
  const fields = parsed as Record<string, unknown>; // an object, checked just above
  const signPub = field(fields, 'sign_pub', KEY_BYTES);
  const signPriv = field(fields, 'sign_priv', 64);
  const kexPub = field(fields, 'kex_pub', KEY_BYTES);
  const kexPriv = field(fields, 'kex_priv', KEY_BYTES);
  const signSeed = signPriv.slice(0, 32);
  const derived = identityFromSeeds(signSeed, kexPriv);
  if (!bytesEqual(signPriv.subarray(32), signPub))
    throw new BusCryptoError(
      'bus_identity_invalid',
      'sign_priv: its public half (bytes 32–63) is not sign_pub',
    );
  if (!bytesEqual(derived.signPub, signPub))
    throw new BusCryptoError(
      'bus_identity_invalid',
      'sign_priv: its seed (bytes 0–31) does not make sign_pub',
    );
  if (!bytesEqual(derived.kexPub, kexPub))
    throw new BusCryptoError('bus_identity_invalid', 'kex_pub is not the public key of kex_priv');
  return derived;
}

function field(fields: Record<string, unknown>, name: string, size: number): Uint8Array {
  const value = fields[name];
  if (typeof value !== 'string')
    throw new BusCryptoError('bus_identity_invalid', `${name}: missing (a standard base64 string)`);
  const bytes = fromBase64(value);
  if (bytes === undefined) throw new BusCryptoError('bus_identity_invalid', `${name}: not standard base64`);
  if (bytes.byteLength !== size)
    throw new BusCryptoError('bus_identity_invalid', `${name}: ${bytes.byteLength} bytes, expected ${size}`);
  return bytes;
}

function checkIdentitySizes(identity: Identity): void {
  assertKeySize(identity.signPub, 'signPub');
  assertKeySize(identity.signSeed, 'signSeed');
  assertKeySize(identity.kexPub, 'kexPub');
  assertKeySize(identity.kexPriv, 'kexPriv');
}

/** The identity's signing public key as 64 lower-case hex characters: how the allowlist names it. */
export function signPubHex(identity: Pick<Identity, 'signPub'>): string {
  return toHex(identity.signPub);
}

/**
 * The endpoint id of a signing public key: base64url(SHA-256(signPub)) without padding (43 characters), as
 * unibus computes it. Frames name their sender by it.
 */
export function endpointId(signPub: Uint8Array): string {
  assertKeySize(signPub, 'signPub');
  return toBase64Url(createHash('sha256').update(signPub).digest());
}

const SIGN_PUB_HEX = /^[0-9a-fA-F]{64}$/;

/** Whether `text` is a signing public key in hex (64 hex characters, either case). */
export function isSignPubHex(text: string): boolean {
  return SIGN_PUB_HEX.test(text);
}

/** A signing public key's hex in lower case; `bus_key_invalid` unless it is 64 hex characters. */
export function normalizeSignPubHex(text: string): string {
  if (!isSignPubHex(text))
    throw new BusCryptoError('bus_key_invalid', 'a signing public key is 64 hex characters');
  return text.toLowerCase();
}
