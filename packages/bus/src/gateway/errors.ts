// Errors of the browser gateway that the control plane's codes do not cover, each bound to its kind (the HTTP
// layer maps the kind to a status). Everything else the gateway refuses is a BusError from the service.

import { errorClass } from '@homeport/core';
import { JetStreamError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';

const KINDS = {
  /** More open room streams for one account, or in all, than this replica serves. */
  gateway_too_many_streams: 'rate_limited',
  /** The account's gateway identity was revoked (an admin revoked it, or the account was disabled once). */
  gateway_identity_revoked: 'forbidden',
  /** The account named in an invitation does not exist or is disabled. */
  gateway_unknown_account: 'not_found',
  /** The gateway holds no key for the room's current epoch for this account yet (a rekey is on its way). */
  gateway_waiting_for_key: 'conflict',
  /** An attachment reference or upload that is not one the gateway made (bad id, name or type). */
  gateway_bad_attachment: 'bad_request',
  /** The attachment's bytes do not open with the room key of the epoch its id names. */
  gateway_attachment_unopenable: 'unprocessable',
  /** NATS did not answer in time. */
  gateway_unavailable: 'unavailable',
} as const;

export class GatewayError extends errorClass(KINDS) {}
export type GatewayErrorCode = ConstructorParameters<typeof GatewayError>[0];

const NATS_FAILURES = [
  TimeoutError,
  NoRespondersError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  RequestError,
  JetStreamError,
];

/**
 * Runs a NATS call; a NATS failure (down, timeout, refused) becomes `gateway_unavailable` (503, worth a retry)
 * instead of a 500. Anything else is a bug here and propagates as it is.
 */
export async function natsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (NATS_FAILURES.some((kind) => error instanceof kind))
      throw new GatewayError('gateway_unavailable', `The bus did not answer (${what}); try again`, {
        cause: error,
        retryAfterSeconds: 2,
      });
    throw error;
  }
}
