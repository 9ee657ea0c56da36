// Errors of the bus control plane: each code bound to its kind, which the HTTP layer maps to a status.

import { errorClass } from '@homeport/core';

const KINDS = {
  bus_bad_request: 'bad_request',
  /** No signer, a bad or expired signature, a replayed nonce, or an identity not on the allowlist. */
  bus_unauthorized: 'unauthorized',
  /** Signed by an identity that may not do this (not an admin, not a member, not the owner). */
  bus_forbidden: 'forbidden',
  bus_not_found: 'not_found',
  bus_conflict: 'conflict',
  /** The room moved to another epoch meanwhile: read it again and redo the rekey. */
  bus_epoch_conflict: 'conflict',
  /** A quota (rooms per identity, members per room, blob size) would be exceeded. */
  bus_quota: 'unprocessable',
  bus_unprocessable: 'unprocessable',
  bus_too_large: 'too_large',
  /** The data plane (NATS) is not available here. */
  bus_unavailable: 'unavailable',
} as const;

export class BusError extends errorClass(KINDS) {}
export type BusErrorCode = ConstructorParameters<typeof BusError>[0];
