// Sealing and opening frames: the payload encrypted with the room's epoch key (in encrypted rooms), the whole
// frame signed by the sender (in signed rooms), and on the way in the checks in a fixed order, cheapest and
// least trusting first, with the frame id recorded against replay only once everything verified.

import { canonicalBytes } from './canonical.js';
import { toBase64Url } from './encoding.js';
import { BusCryptoError } from './errors.js';
import {
  encodeFrame,
  FRAME_VERSION,
  type Frame,
  type FrameHeader,
  isFrameEpoch,
  isFrameRoomId,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  parseFrame,
} from './frame-shape.js';
import { endpointId, type Identity } from './identity.js';
import type { RandomSource } from './message-aead.js';
import type { ReplayGuard } from './replay.js';
import { DEFAULT_E2E_SCHEME, type E2EScheme } from './scheme.js';
import { signBytes, verifyBytes } from './signature.js';
import { isUlid, ulid } from './ulid.js';

/** Domain of the bytes a frame signature covers. */
export const FRAME_SIGNATURE_DOMAIN = 'homeport-bus/frame/v1';

/** What {@link sealFrame} takes. */
export interface SealFrameInput {
  roomId: string;
  epoch: number;
  sender: Identity;
  /** The epoch's room key in an encrypted room; null in a room that is not encrypted. */
  roomKey: Uint8Array | null;
  /** Whether to sign (signed rooms). */
  sign: boolean;
  payload: Uint8Array;
  /** The frame id; a new ULID when absent. */
  id?: string;
  /** Nonce source, for test vectors only (see `encryptPayload`). */
  random?: RandomSource;
  /** The room's scheme (default: {@link DEFAULT_E2E_SCHEME}). */
  scheme?: E2EScheme;
}

/** A sealed frame and its wire bytes. */
export interface SealedFrame {
  frame: Frame;
  bytes: Uint8Array;
}

/** Why {@link openFrame} refused a frame. */
export type FrameRejection =
  | 'malformed'
  | 'wrong_version'
  | 'wrong_room'
  | 'unknown_sender'
  | 'bad_signature'
  | 'replay'
  | 'no_key'
  | 'decrypt_failed'
  | 'from_future';

/** The reader's side of a room, for {@link openFrame}. */
export interface OpenFrameOptions {
  /** The room this frame arrived on; a frame naming another room is refused. */
  roomId: string;
  /** The room key of an epoch this member holds, undefined otherwise. */
  keyFor(epoch: number): Uint8Array | undefined;
  /** The signing public key of a member's endpoint id; undefined when unknown or revoked. */
  senderSignPub(endpointId: string): Uint8Array | undefined;
  encrypted: boolean;
  /** A signed room refuses a frame without a valid signature. */
  signed: boolean;
  replay: ReplayGuard;
  /** The reader's clock (ms), for refusing ids from the future. */
  nowMs: number;
  scheme?: E2EScheme;
}

/** The result of {@link openFrame}. */
export type OpenedFrame =
  | { ok: true; frame: Frame; payload: Uint8Array; senderSignPub: Uint8Array }
  | { ok: false; reason: FrameRejection };

/** The bytes a frame signature covers: canonical(domain, [v, roomId, epoch, sender, id, ciphertext bytes]). */
export function frameSignedBytes(header: FrameHeader, ciphertext: Uint8Array): Uint8Array {
  return canonicalBytes(FRAME_SIGNATURE_DOMAIN, [
    header.v,
    header.roomId,
    header.epoch,
    header.sender,
    header.id,
    ciphertext,
  ]);
}

// Endpoint ids of our own identities, so sealing does not hash the key for every frame. Opening hashes the
// member's key every time (about a microsecond): a caller reusing one array for several keys must not make a
// stale id pass for another sender.
const endpointIds = new WeakMap<Uint8Array, string>();

function endpointIdOf(signPub: Uint8Array): string {
  let id = endpointIds.get(signPub);
  if (id === undefined) {
    id = endpointId(signPub);
    endpointIds.set(signPub, id);
  }
  return id;
}

/**
 * Seals a payload into a frame: encrypted under `roomKey` when given, signed when `sign` is set.
 *
 * @example
 *   const { bytes } = sealFrame({ roomId, epoch, sender: me, roomKey, sign: true, payload: utf8('hi') });
 *   nc.publish(subject, bytes);
 */
export function sealFrame(input: SealFrameInput): SealedFrame {
  const { roomId, epoch, payload } = input;
  if (!isFrameRoomId(roomId))
    throw new BusCryptoError('bus_frame_invalid', 'a room id is 1–256 UTF-8 bytes of well-formed text');
  if (!isFrameEpoch(epoch)) throw new BusCryptoError('bus_frame_invalid', `bad epoch ${epoch}`);
  if (payload.byteLength > MAX_PAYLOAD_BYTES)
    throw new BusCryptoError(
      'bus_frame_too_large',
      `a payload is at most ${MAX_PAYLOAD_BYTES} bytes, got ${payload.byteLength}`,
    );
  const id = input.id ?? ulid();
  if (!isUlid(id)) throw new BusCryptoError('bus_frame_invalid', `frame id ${id} is not a ULID`);
  const header: FrameHeader = {
    v: FRAME_VERSION,
    roomId,
    epoch,
    sender: endpointIdOf(input.sender.signPub),
    id,
  };
  const scheme = input.scheme ?? DEFAULT_E2E_SCHEME;
  const body =
    input.roomKey === null ? payload : scheme.encryptPayload(input.roomKey, header, payload, input.random);
  const signature = input.sign ? toBase64Url(signBytes(input.sender, frameSignedBytes(header, body))) : '';
  const frame: Frame = { ...header, ciphertext: toBase64Url(body), signature };
  const bytes = encodeFrame(frame);
  // Unreachable with the bounds above; kept so a change to them cannot make frames every reader refuses.
  if (bytes.byteLength > MAX_FRAME_BYTES)
    throw new BusCryptoError(
      'bus_frame_too_large',
      `frame of ${bytes.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`,
    );
  return { frame, bytes };
}

/**
 * Opens wire bytes. Checks, in this order: shape, version, room, sender known (and its key matching its
 * endpoint id), signature (required in a signed room; checked whenever present), replay and future ids, room
 * key for the epoch, decryption. Only a frame that passed all of them is recorded in `replay`, so a forged
 * frame cannot burn the id of a real one.
 */
export function openFrame(bytes: Uint8Array, options: OpenFrameOptions): OpenedFrame {
  const parsed = parseFrame(bytes);
  if (parsed === 'malformed' || parsed === 'wrong_version') return { ok: false, reason: parsed };
  const { frame } = parsed;
  if (frame.roomId !== options.roomId) return { ok: false, reason: 'wrong_room' };
  const senderSignPub = options.senderSignPub(frame.sender);
  if (
    senderSignPub === undefined ||
    senderSignPub.byteLength !== 32 ||
    endpointId(senderSignPub) !== frame.sender
  )
    return { ok: false, reason: 'unknown_sender' };
  if (parsed.signature !== undefined) {
    if (!verifyBytes(senderSignPub, frameSignedBytes(frame, parsed.ciphertext), parsed.signature))
      return { ok: false, reason: 'bad_signature' };
  } else if (options.signed) {
    return { ok: false, reason: 'bad_signature' };
  }
  const verdict = options.replay.check(frame.roomId, frame.id, options.nowMs);
  if (verdict !== 'fresh') return { ok: false, reason: verdict };
  let payload = parsed.ciphertext;
  if (options.encrypted) {
    const roomKey = options.keyFor(frame.epoch);
    if (roomKey === undefined) return { ok: false, reason: 'no_key' };
    const scheme = options.scheme ?? DEFAULT_E2E_SCHEME;
    const opened = scheme.decryptPayload(roomKey, frame, parsed.ciphertext);
    if (opened === undefined) return { ok: false, reason: 'decrypt_failed' };
    payload = opened;
  }
  options.replay.record(frame.roomId, frame.id);
  return { ok: true, frame, payload, senderSignPub };
}
