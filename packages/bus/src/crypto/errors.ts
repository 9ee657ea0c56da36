// The closed set of errors the bus crypto raises, each bound to its kind (the HTTP layer maps kinds to statuses
// in one place). Verification failures of frames are not errors: `openFrame` returns a reason instead.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  /** `loadIdentity` on a path with no file (it never creates one). */
  bus_identity_not_found: 'not_found',
  /** An identity file or JSON that is not four keys of the right sizes, or whose halves do not match. */
  bus_identity_invalid: 'unprocessable',
  /** Writing an identity where a file exists already (identities are never replaced). */
  bus_identity_exists: 'conflict',
  /** A key, seed or room key of the wrong size or encoding handed to a crypto function. */
  bus_key_invalid: 'bad_request',
  /** A sealed room key that does not open for this identity, room and epoch (tampered, or not ours). */
  bus_room_key_unopenable: 'unprocessable',
  /** Frame fields a sender may not use (an empty or oversized room id, a bad epoch or id). */
  bus_frame_invalid: 'bad_request',
  /** A request that cannot be signed as given (a method that is not a token, a path with spaces, a bad nonce). */
  bus_request_invalid: 'bad_request',
  /** A payload whose frame would exceed `MAX_FRAME_BYTES`. */
  bus_frame_too_large: 'too_large',
} as const satisfies Record<string, ErrorKind>;

export type BusCryptoErrorCode = keyof typeof KINDS;

/** An error of the bus crypto; `code` is one of {@link BusCryptoErrorCode}. */
export class BusCryptoError extends errorClass(KINDS) {}
