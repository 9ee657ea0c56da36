// The frame's wire shape: JSON (UTF-8) with exactly seven fields, parsed strictly before any key is touched,
// so the checks after it read well-typed values and an oversized or odd frame costs no crypto.

import { fromBase64Url, fromUtf8, utf8 } from './encoding.js';
import { isUlid } from './ulid.js';

/** The only frame version. */
export const FRAME_VERSION = 1;
/** Frames larger than this are refused unread (a constant, not a setting: every member must agree). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Largest payload `sealFrame` takes: with base64url's 4/3 and the other fields it stays under the frame bound. */
export const MAX_PAYLOAD_BYTES = 760 * 1024;
/** Room ids are 1 to this many UTF-8 bytes. */
export const MAX_ROOM_ID_BYTES = 256;

/** The frame fields the payload's AEAD binds (and a signature covers). */
export interface FrameHeader {
  v: 1;
  roomId: string;
  /** The room key's epoch the payload is sealed under. */
  epoch: number;
  /** The sender's endpoint id: base64url(SHA-256(signPub)). */
  sender: string;
  /** A ULID. */
  id: string;
}

/** A frame as it travels, JSON-encoded (UTF-8). */
export interface Frame extends FrameHeader {
  /** base64url of `nonce || ciphertext || tag` in an encrypted room, of the payload itself otherwise. */
  ciphertext: string;
  /** base64url of the Ed25519 signature; '' when the sender did not sign (unsigned rooms only). */
  signature: string;
}

/** A frame that passed the shape checks, with its binary fields decoded. */
export interface ParsedFrame {
  frame: Frame;
  ciphertext: Uint8Array;
  /** Undefined when the frame carries no signature. */
  signature: Uint8Array | undefined;
}

const FIELDS = ['v', 'roomId', 'epoch', 'sender', 'id', 'ciphertext', 'signature'] as const;
const ENDPOINT_ID = /^[A-Za-z0-9_-]{43}$/;
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Whether `roomId` is a room id a frame may carry (1–256 UTF-8 bytes, well-formed Unicode). */
export function isFrameRoomId(roomId: unknown): roomId is string {
  if (typeof roomId !== 'string' || roomId === '' || LONE_SURROGATE.test(roomId)) return false;
  return roomId.length <= MAX_ROOM_ID_BYTES && utf8(roomId).byteLength <= MAX_ROOM_ID_BYTES;
}

/** Whether `epoch` is an epoch a frame may carry (a non-negative safe integer). */
export function isFrameEpoch(epoch: unknown): epoch is number {
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0;
}

/** Whether `sender` looks like an endpoint id (43 base64url characters of 32 bytes). */
export function isEndpointId(sender: unknown): sender is string {
  return typeof sender === 'string' && ENDPOINT_ID.test(sender) && fromBase64Url(sender)?.byteLength === 32;
}

/** Encodes a frame as its wire bytes, fields in a fixed order. */
export function encodeFrame(frame: Frame): Uint8Array {
  return utf8(
    JSON.stringify({
      v: frame.v,
      roomId: frame.roomId,
      epoch: frame.epoch,
      sender: frame.sender,
      id: frame.id,
      ciphertext: frame.ciphertext,
      signature: frame.signature,
    }),
  );
}

/**
 * Parses wire bytes: `wrong_version` for a frame of another version, `malformed` for anything that is not a
 * version-1 frame (too large, not UTF-8 JSON, a missing, extra or ill-typed field, a non-canonical base64url).
 */
export function parseFrame(bytes: Uint8Array): ParsedFrame | 'malformed' | 'wrong_version' {
  if (bytes.byteLength > MAX_FRAME_BYTES) return 'malformed';
  const text = fromUtf8(bytes);
  if (text === undefined) return 'malformed';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: an answer about the input, not an error.
    return 'malformed';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'malformed';
  const raw = value as Record<string, unknown>; // a plain object, checked just above
  if (typeof raw.v !== 'number' || !Number.isSafeInteger(raw.v) || raw.v < 1) return 'malformed';
  if (raw.v !== FRAME_VERSION) return 'wrong_version';
  const keys = Object.keys(raw);
  if (keys.length !== FIELDS.length || !FIELDS.every((field) => Object.hasOwn(raw, field)))
    return 'malformed';
  const { roomId, epoch, sender, id, ciphertext, signature } = raw;
  if (!isFrameRoomId(roomId) || !isFrameEpoch(epoch) || !isEndpointId(sender)) return 'malformed';
  if (typeof id !== 'string' || !isUlid(id)) return 'malformed';
  if (typeof ciphertext !== 'string' || typeof signature !== 'string') return 'malformed';
  const ciphertextBytes = fromBase64Url(ciphertext);
  if (ciphertextBytes === undefined) return 'malformed';
  let signatureBytes: Uint8Array | undefined;
  if (signature !== '') {
    signatureBytes = fromBase64Url(signature);
    if (signatureBytes?.byteLength !== 64) return 'malformed';
  }
  return {
    frame: { v: FRAME_VERSION, roomId, epoch, sender, id, ciphertext, signature },
    ciphertext: ciphertextBytes,
    signature: signatureBytes,
  };
}
