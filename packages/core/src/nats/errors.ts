// The NATS part's closed set of error codes, each bound to the kind the HTTP layer maps to a status.

import { errorClass } from '../errors.js';

const NATS_KINDS = {
  /** No NATS server could be reached (managed or external) within the bound. */
  nats_unavailable: 'unavailable',
  /** The managed nats-server did not start (its output is in the message). */
  nats_start_failed: 'unavailable',
  /** Another live Homeport supervises a nats-server on the same data dir. */
  nats_in_use: 'conflict',
  /** Key or JWT files under `<dataDir>/nats` are unreadable, corrupt, or a needed signing key is absent. */
  nats_keys_invalid: 'internal',
  /** A cluster node's `<dataDir>/nats` holds another identity than the one derived from the secret key. */
  nats_identity_conflict: 'conflict',
  /** A user was asked for in an account the layout does not have. */
  nats_unknown_account: 'bad_request',
  /** A user key handed in (for a JWT) is not the public nkey of a user. */
  nats_invalid_user_key: 'bad_request',
  /** A revocation list names something other than a user key, or a time that is not unix seconds. */
  nats_invalid_revocation: 'bad_request',
  /**
   * An account JWT update was not confirmed by the running server (it said error, or did not answer within the
   * bound), or could not be signed newer than the one stored; the JWT on disk applies from the next start.
   */
  nats_update_failed: 'unavailable',
} as const;

export type NatsErrorCode = keyof typeof NATS_KINDS;

/** Errors of Homeport's NATS part; a throw site names only the code and a message. */
export class NatsError extends errorClass(NATS_KINDS) {}
