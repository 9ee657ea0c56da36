// Room keys sealed to one member with HPKE (RFC 9180) base mode, suite DHKEM(X25519, HKDF-SHA256) /
// HKDF-SHA256 / AES-128-GCM. The associated data binds a sealed key to its room, epoch and recipient, so a
// copy stored under another room, epoch or member does not open.

import { randomBytes, type webcrypto } from 'node:crypto';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { canonicalBytes } from './canonical.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { BusCryptoError } from './errors.js';
import type { Identity } from './identity.js';
import { normalizeSignPubHex } from './identity.js';
import { assertKeySize, KEY_BYTES } from './keys.js';

/** Bytes of a room key (the input of every epoch's message key). */
export const ROOM_KEY_BYTES = 32;
/** Bytes of a sealed room key: HPKE `enc` (32) then the AES-128-GCM ciphertext of the key (32 + 16). */
export const SEALED_ROOM_KEY_BYTES = 32 + ROOM_KEY_BYTES + 16;
/** HPKE `info`, and the domain of the associated data. */
export const ROOM_KEY_INFO = 'homeport-bus/room-key/v1';
/** RFC 9180 identifiers of the suite: KEM 0x0020, KDF 0x0001, AEAD 0x0001. */
export const HPKE_SUITE = { kem: 0x0020, kdf: 0x0001, aead: 0x0001 } as const;

/** Where a sealed room key belongs: its room, its epoch and the member it is sealed to. */
export interface RoomKeyContext {
  roomId: string;
  epoch: number;
  /** The recipient's signing public key in hex (either case; lower-cased before use). */
  recipientSignPubHex: string;
}

/** Test-only inputs of {@link sealRoomKey}. */
export interface SealRoomKeyOptions {
  /**
   * Input keying material for the ephemeral key pair (RFC 9180 DeriveKeyPair), for fixed test vectors only:
   * a repeated value reuses the ephemeral key, so never pass it outside tests.
   */
  ephemeralIkm?: Uint8Array;
}

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes128Gcm(),
});
const INFO = utf8(ROOM_KEY_INFO);

/** The associated data of a sealed room key: canonical bytes of (room id, epoch, recipient hex). */
export function roomKeyAad(ctx: RoomKeyContext): Uint8Array {
  if (typeof ctx.roomId !== 'string' || ctx.roomId === '')
    throw new BusCryptoError('bus_frame_invalid', 'a room key needs a room id');
  return canonicalBytes(ROOM_KEY_INFO, [ctx.roomId, ctx.epoch, normalizeSignPubHex(ctx.recipientSignPubHex)]);
}

/** A new room key: 32 bytes from the system's CSPRNG. */
export function newRoomKey(): Uint8Array {
  return new Uint8Array(randomBytes(ROOM_KEY_BYTES));
}

/**
 * Seals `roomKey` to the member whose X25519 public key is `recipientKexPub`, for `ctx`'s room and epoch.
 * Returns `enc || ciphertext` ({@link SEALED_ROOM_KEY_BYTES} bytes).
 *
 * @example
 *   const sealed = await sealRoomKey(member.kexPub, roomKey, { roomId, epoch: 2, recipientSignPubHex });
 *   await store.addKey({ sealed: encodeSealedRoomKey(sealed), ... });
 */
export async function sealRoomKey(
  recipientKexPub: Uint8Array,
  roomKey: Uint8Array,
  ctx: RoomKeyContext,
  options: SealRoomKeyOptions = {},
): Promise<Uint8Array> {
  assertKeySize(recipientKexPub, 'recipient X25519 public key');
  assertKeySize(roomKey, 'room key', ROOM_KEY_BYTES);
  const aad = roomKeyAad(ctx);
  let recipientPublicKey: webcrypto.CryptoKey;
  try {
    recipientPublicKey = await suite.kem.deserializePublicKey(copy(recipientKexPub));
  } catch (error) {
    throw new BusCryptoError('bus_key_invalid', 'the recipient X25519 public key does not import', {
      cause: error,
    });
  }
  let sealed: { ct: ArrayBuffer; enc: ArrayBuffer };
  try {
    sealed = await suite.seal(
      {
        recipientPublicKey,
        info: INFO,
        ...(options.ephemeralIkm === undefined ? {} : { ekm: copy(options.ephemeralIkm) }),
      },
      copy(roomKey),
      aad,
    );
  } catch (error) {
    // A low-order recipient key makes an all-zero shared secret, which HPKE refuses.
    throw new BusCryptoError('bus_key_invalid', 'cannot seal to this X25519 public key', { cause: error });
  }
  const out = new Uint8Array(SEALED_ROOM_KEY_BYTES);
  out.set(new Uint8Array(sealed.enc), 0);
  out.set(new Uint8Array(sealed.ct), KEY_BYTES);
  return out;
}

// Imported X25519 key pairs per identity (keyed by its private key array, dropped with it).
const recipientKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKeyPair>>();

function recipientKeyPair(identity: Pick<Identity, 'kexPriv' | 'kexPub'>): Promise<webcrypto.CryptoKeyPair> {
  let pair = recipientKeys.get(identity.kexPriv);
  if (pair === undefined) {
    pair = (async () => ({
      privateKey: await suite.kem.deserializePrivateKey(copy(identity.kexPriv)),
      publicKey: await suite.kem.deserializePublicKey(copy(identity.kexPub)),
    }))();
    recipientKeys.set(identity.kexPriv, pair);
    pair.catch(() => recipientKeys.delete(identity.kexPriv)); // a failed import is not remembered
  }
  return pair;
}

/**
 * Opens a sealed room key with the identity's X25519 key, for `ctx`'s room, epoch and recipient. Throws
 * `bus_room_key_unopenable` when it does not open: tampered, sealed to someone else, or stored under another
 * room or epoch than it was sealed for.
 */
export async function openRoomKey(
  identity: Pick<Identity, 'kexPriv' | 'kexPub'>,
  sealed: Uint8Array,
  ctx: RoomKeyContext,
): Promise<Uint8Array> {
  assertKeySize(identity.kexPriv, 'X25519 private key');
  assertKeySize(identity.kexPub, 'X25519 public key');
  const aad = roomKeyAad(ctx);
  if (!(sealed instanceof Uint8Array) || sealed.byteLength !== SEALED_ROOM_KEY_BYTES)
    throw new BusCryptoError(
      'bus_room_key_unopenable',
      `a sealed room key is ${SEALED_ROOM_KEY_BYTES} bytes`,
    );
  const recipientKey = await recipientKeyPair(identity);
  try {
    const key = await suite.open(
      { recipientKey, enc: sealed.slice(0, KEY_BYTES), info: INFO },
      sealed.slice(KEY_BYTES),
      aad,
    );
    return new Uint8Array(key);
  } catch (error) {
    throw new BusCryptoError(
      'bus_room_key_unopenable',
      `the room key for room ${ctx.roomId} epoch ${ctx.epoch} does not open with this identity`,
      { cause: error },
    );
  }
}

/** The `sealed` string the server stores: base64url of the sealed bytes, no padding. */
export function encodeSealedRoomKey(sealed: Uint8Array): string {
  return toBase64Url(sealed);
}

/** Bytes of a stored `sealed` string; `bus_room_key_unopenable` unless it is canonical base64url of 80 bytes. */
export function decodeSealedRoomKey(text: string): Uint8Array {
  const bytes = fromBase64Url(text);
  if (bytes === undefined || bytes.byteLength !== SEALED_ROOM_KEY_BYTES)
    throw new BusCryptoError(
      'bus_room_key_unopenable',
      `a sealed room key is base64url of ${SEALED_ROOM_KEY_BYTES} bytes`,
    );
  return bytes;
}

// @hpke/core reads `.buffer` of some inputs; an exact copy keeps a view into a larger buffer from leaking in.
function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}
