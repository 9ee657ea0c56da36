// Public surface of @homeport/bus/crypto: identities, signatures, sealed room keys, frames, ids, replay
// protection and signed control-plane requests. The formats are in docs/bus-crypto.md.

export { type CanonicalField, canonicalBytes } from './canonical.js';
export {
  bytesEqual,
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from './encoding.js';
export { BusCryptoError, type BusCryptoErrorCode } from './errors.js';
export {
  FRAME_SIGNATURE_DOMAIN,
  type FrameRejection,
  frameSignedBytes,
  type OpenedFrame,
  type OpenFrameOptions,
  openFrame,
  type SealedFrame,
  type SealFrameInput,
  sealFrame,
} from './frame.js';
export {
  encodeFrame,
  FRAME_VERSION,
  type Frame,
  type FrameHeader,
  isEndpointId,
  isFrameRoomId,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  MAX_ROOM_ID_BYTES,
  type ParsedFrame,
  parseFrame,
} from './frame-shape.js';
export {
  endpointId,
  generateIdentity,
  type Identity,
  identityFromJson,
  identityFromSeeds,
  identityToJson,
  isSignPubHex,
  normalizeSignPubHex,
  signPubHex,
} from './identity.js';
export { createIdentityFile, loadIdentity, loadOrCreateIdentity } from './identity-file.js';
export { KEY_BYTES } from './keys.js';
export {
  decryptPayload,
  deriveMessageKey,
  encryptPayload,
  FRAME_AAD_DOMAIN,
  frameAad,
  MESSAGE_KEY_INFO,
  NONCE_BYTES,
  type RandomSource,
  TAG_BYTES,
} from './message-aead.js';
export {
  createReplayGuard,
  MAX_FUTURE_MS,
  REPLAY_WINDOW,
  type ReplayGuard,
  type ReplayGuardOptions,
  type ReplayVerdict,
} from './replay.js';
export {
  type ParsedSignedHeaders,
  parseSignedHeaders,
  REQUEST_HEADERS,
  REQUEST_SIGNATURE_DOMAIN,
  REQUEST_WINDOW_SEC,
  requestBodyHash,
  requestSignedBytes,
  type SignedHeadersProblem,
  type SignedRequestFields,
  type SignedRequestHeaders,
  type SignRequestInput,
  signRequest,
  verifyRequestSignature,
} from './request-signature.js';
export { DEFAULT_E2E_SCHEME, type E2EScheme, e2eSchemeById, HPKE_AES_GCM_SCHEME } from './scheme.js';
export {
  decodeSealedRoomKey,
  encodeSealedRoomKey,
  HPKE_SUITE,
  newRoomKey,
  openRoomKey,
  ROOM_KEY_BYTES,
  ROOM_KEY_INFO,
  type RoomKeyContext,
  roomKeyAad,
  SEALED_ROOM_KEY_BYTES,
  type SealRoomKeyOptions,
  sealRoomKey,
} from './seal.js';
export { SIGNATURE_BYTES, signBytes, verifyBytes } from './signature.js';
export { createUlidFactory, isUlid, type UlidOptions, ulid, ulidTime } from './ulid.js';
