// Frame payload encryption: AES-256-GCM under a per-epoch message key derived from the room key with
// HKDF-SHA256, a fresh random 96-bit nonce per frame, and the frame's header as associated data.

import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import { bytesEqual, nodeBuffer } from './encoding.js';
import { BusCryptoError } from './errors.js';
import type { FrameHeader } from './frame-shape.js';
import { assertKeySize } from './keys.js';
import { pooledRandomBytes } from './random-pool.js';
import { ROOM_KEY_BYTES } from './seal.js';

/** HKDF `info` domain of message keys. */
export const MESSAGE_KEY_INFO = 'homeport-bus/message-key/v1';
/** Domain of a frame's AEAD associated data. */
export const FRAME_AAD_DOMAIN = 'homeport-bus/frame-aad/v1';
/** AES-GCM nonce bytes (random per frame). */
export const NONCE_BYTES = 12;
/** AES-GCM tag bytes. */
export const TAG_BYTES = 16;

/** Message keys stay derived for this many (room, epoch) pairs; the oldest derived is dropped past it. */
const MESSAGE_KEY_CACHE_SIZE = 1024;

// Memoised HKDF results. Keyed by (room, epoch), holding the room key they came from: a different room key for
// the same pair (a caller's mistake, or a test) derives afresh instead of using the wrong key.
const messageKeys = new Map<string, { roomKey: Uint8Array; key: KeyObject }>();

/**
 * The message key of an epoch: HKDF-SHA256(ikm = room key, salt = empty, info = canonical(MESSAGE_KEY_INFO,
 * [roomId, epoch]), 32 bytes).
 */
export function deriveMessageKey(roomKey: Uint8Array, roomId: string, epoch: number): Uint8Array {
  assertKeySize(roomKey, 'room key', ROOM_KEY_BYTES);
  const info = canonicalBytes(MESSAGE_KEY_INFO, [roomId, epoch]);
  return new Uint8Array(hkdfSync('sha256', roomKey, new Uint8Array(0), info, 32));
}

function messageKeyObject(roomKey: Uint8Array, roomId: string, epoch: number): KeyObject {
  const cacheKey = `${epoch}\u0000${roomId}`;
  const cached = messageKeys.get(cacheKey);
  if (cached !== undefined && bytesEqual(cached.roomKey, roomKey)) return cached.key;
  const key = createSecretKey(deriveMessageKey(roomKey, roomId, epoch));
  if (cached === undefined && messageKeys.size >= MESSAGE_KEY_CACHE_SIZE) {
    const oldest = messageKeys.keys().next();
    if (oldest.done !== true) messageKeys.delete(oldest.value);
  }
  messageKeys.set(cacheKey, { roomKey: Uint8Array.from(roomKey), key });
  return key;
}

/** The associated data of a frame's payload: canonical(FRAME_AAD_DOMAIN, [v, roomId, epoch, sender, id]). */
export function frameAad(header: FrameHeader): Uint8Array {
  return canonicalBytes(FRAME_AAD_DOMAIN, [header.v, header.roomId, header.epoch, header.sender, header.id]);
}

/** `n` random bytes. The default is the system's CSPRNG (pooled); only test vectors pass a fixed source. */
export type RandomSource = (n: number) => Uint8Array;

/**
 * Encrypts a frame's payload: returns `nonce (12) || ciphertext || tag (16)`. Pass `random` in test vectors
 * only — a nonce used twice under one message key gives away both plaintexts' XOR and the GCM auth key.
 */
export function encryptPayload(
  roomKey: Uint8Array,
  header: FrameHeader,
  payload: Uint8Array,
  random: RandomSource = pooledRandomBytes,
): Uint8Array {
  const iv = random(NONCE_BYTES);
  if (iv.byteLength !== NONCE_BYTES)
    throw new BusCryptoError('bus_key_invalid', `a nonce is ${NONCE_BYTES} bytes, got ${iv.byteLength}`);
  const cipher = createCipheriv('aes-256-gcm', messageKeyObject(roomKey, header.roomId, header.epoch), iv, {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(frameAad(header));
  const body = cipher.update(payload);
  cipher.final(); // GCM is a stream mode: final() only computes the tag
  const out = new Uint8Array(NONCE_BYTES + body.byteLength + TAG_BYTES);
  out.set(iv, 0);
  out.set(body, NONCE_BYTES);
  out.set(cipher.getAuthTag(), NONCE_BYTES + body.byteLength);
  return out;
}

/** Decrypts what {@link encryptPayload} made; undefined when it does not authenticate. */
export function decryptPayload(
  roomKey: Uint8Array,
  header: FrameHeader,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.byteLength < NONCE_BYTES + TAG_BYTES) return undefined;
  const bytes = nodeBuffer(sealed);
  const decipher = createDecipheriv(
    'aes-256-gcm',
    messageKeyObject(roomKey, header.roomId, header.epoch),
    bytes.subarray(0, NONCE_BYTES),
    { authTagLength: TAG_BYTES },
  );
  decipher.setAAD(frameAad(header));
  decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
  const body = decipher.update(bytes.subarray(NONCE_BYTES, bytes.byteLength - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    // The tag did not verify: the answer is "not authentic", and the plaintext read so far is discarded.
    return undefined;
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}
