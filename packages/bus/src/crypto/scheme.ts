// The end-to-end encryption scheme as one seam: what callers need from it (room keys sealed to members,
// payloads encrypted for a frame), so a stronger scheme (MLS, per-sender ratchets) can be added next to this
// one and chosen per room without changing the code that calls it.

import type { FrameHeader } from './frame-shape.js';
import type { Identity } from './identity.js';
import { decryptPayload, encryptPayload, type RandomSource } from './message-aead.js';
import { newRoomKey, openRoomKey, type RoomKeyContext, sealRoomKey } from './seal.js';

/** An end-to-end encryption scheme. */
export interface E2EScheme {
  /** A stable id naming the whole construction and its version, stored with what it made. */
  readonly id: string;
  /** A fresh room key for a new epoch. */
  newRoomKey(): Uint8Array;
  /** Seals `roomKey` to one member for one room and epoch; opaque bytes the server stores. */
  sealRoomKey(recipientKexPub: Uint8Array, roomKey: Uint8Array, ctx: RoomKeyContext): Promise<Uint8Array>;
  /** Opens a sealed room key; throws `bus_room_key_unopenable` when it is not this member's for `ctx`. */
  openRoomKey(identity: Identity, sealed: Uint8Array, ctx: RoomKeyContext): Promise<Uint8Array>;
  /** Encrypts a frame's payload, bound to its header; `random` is for test vectors only. */
  encryptPayload(
    roomKey: Uint8Array,
    header: FrameHeader,
    payload: Uint8Array,
    random?: RandomSource,
  ): Uint8Array;
  /** Decrypts a frame's payload; undefined when it does not authenticate under this key and header. */
  decryptPayload(roomKey: Uint8Array, header: FrameHeader, sealed: Uint8Array): Uint8Array | undefined;
}

/**
 * Today's scheme: room keys sealed with HPKE base mode (X25519, HKDF-SHA256, AES-128-GCM), payloads with
 * AES-256-GCM under a per-epoch HKDF-SHA256 message key. See docs/bus-crypto.md.
 */
export const HPKE_AES_GCM_SCHEME: E2EScheme = {
  id: 'hpke-x25519-aes128gcm+aes256gcm/v1',
  newRoomKey,
  sealRoomKey: (recipientKexPub, roomKey, ctx) => sealRoomKey(recipientKexPub, roomKey, ctx),
  openRoomKey,
  encryptPayload,
  decryptPayload,
};

/** The scheme a room uses when it names none. */
export const DEFAULT_E2E_SCHEME: E2EScheme = HPKE_AES_GCM_SCHEME;

const SCHEMES = new Map<string, E2EScheme>([[HPKE_AES_GCM_SCHEME.id, HPKE_AES_GCM_SCHEME]]);

/** The scheme with this id, or undefined when this build does not know it. */
export function e2eSchemeById(id: string): E2EScheme | undefined {
  return SCHEMES.get(id);
}
