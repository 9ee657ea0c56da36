// Who signed a bus request: the signature over method, path, body hash, timestamp and nonce is checked, the
// timestamp must be within the window, the nonce is claimed in the store (so a request replayed to another
// replica is refused too), and the signer must be an active identity on the allowlist.
//
// HOMEPORT_BUS_AUTH: `enforce` refuses any failure with 401; `soft` logs and counts the failure and goes on
// as the claimed signer; `off` believes the claimed signer. A request naming no signer is refused in every
// mode, and so is a signer that is not an active identity: off and soft relax the proof, not the allowlist.

import { createHash } from 'node:crypto';
import type { Logger, UserDirectory } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import {
  isSignPubHex,
  parseSignedHeaders,
  REQUEST_WINDOW_SEC,
  verifyRequestSignature,
} from '../crypto/index.js';
import { BusError } from '../errors.js';
import type { BusAuthMode } from '../settings.js';
import type { BusStore, BusUserRecord } from '../store/repositories.js';

/** A request's verified (or, outside enforce, claimed) signer. */
export interface BusSigner {
  signPub: string;
  user: BusUserRecord;
  /** False when soft or off let an unproven request through. */
  verified: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw bytes of the body, kept by the bus routes' parsers for the signature's body hash. */
    busRawBody?: Buffer;
    /** Set by the bus's signer check. */
    busSigner?: BusSigner;
  }
}

export type RefusalReason =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'bad_signature'
  | 'replay'
  | 'unknown_identity'
  | 'revoked'
  | 'account_disabled';

const MESSAGES: Record<RefusalReason, string> = {
  missing:
    'This request must be signed by a bus identity (x-bus-signer, x-bus-timestamp, x-bus-nonce, x-bus-signature)',
  malformed: 'The request signature headers are malformed',
  expired: `The request timestamp is more than ${REQUEST_WINDOW_SEC} s away from the server's clock`,
  bad_signature: 'The request signature does not verify',
  replay: 'This request nonce was used already',
  unknown_identity: 'This identity is not on the bus allowlist',
  revoked: 'This identity was revoked',
  account_disabled: 'The account that owns this identity is disabled or deleted',
};

export interface RequestAuthOptions {
  mode: BusAuthMode;
  store: BusStore;
  /** An identity owned by an account works only while the account is active, however it was disabled. */
  users: UserDirectory;
  log: Logger;
  registry: Registry;
  clock: () => number;
}

export interface RequestAuth {
  /** Resolves and checks the signer; throws 401 `bus_unauthorized` (enforce) with the reason in `details`. */
  signer(request: FastifyRequest): Promise<BusSigner>;
  refusals: Counter<'reason' | 'mode'>;
}

const EMPTY_BODY = Buffer.alloc(0);

export function createRequestAuth(options: RequestAuthOptions): RequestAuth {
  const { mode, store, log, clock } = options;
  const refusals = new Counter({
    name: 'homeport_bus_request_refusals_total',
    help: 'Signed bus requests that failed a check, by reason (mode=soft: logged and let through)',
    labelNames: ['reason', 'mode'] as const,
    registers: [options.registry],
  });

  const refuse = (reason: RefusalReason): never => {
    refusals.inc({ reason, mode: 'enforce' });
    throw new BusError('bus_unauthorized', MESSAGES[reason], { details: { reason } });
  };

  /** A failed proof: refused in enforce, logged and counted in soft, ignored in off. */
  const proofFailed = (reason: RefusalReason, request: FastifyRequest): false => {
    if (mode === 'enforce') refuse(reason);
    if (mode === 'soft') {
      refusals.inc({ reason, mode: 'soft' });
      log.warn(
        { reason, url: request.routeOptions.url },
        'bus request signature check failed (soft mode: let through)',
      );
    }
    return false;
  };

  /** The claimed signer and whether its proof holds, the nonce not yet claimed (`nonce` set when it is due). */
  async function prove(
    request: FastifyRequest,
  ): Promise<{ signPub: string; verified: boolean; nonce?: { value: string; timestampSec: number } }> {
    const parsed = parseSignedHeaders(request.headers);
    if (!parsed.ok) {
      // Without a signer there is nobody to act as, in any mode.
      const claimed = request.headers['x-bus-signer'];
      if (typeof claimed !== 'string' || claimed.length === 0) refuse('missing');
      if (mode === 'enforce') refuse('malformed');
      if (typeof claimed !== 'string' || !isSignPubHex(claimed)) return refuse('malformed');
      proofFailed('malformed', request);
      return { signPub: claimed.toLowerCase(), verified: false };
    }
    const { fields } = parsed;
    const signPub = fields.signer;
    if (mode === 'off') return { signPub, verified: false };
    const nowSec = Math.floor(clock() / 1000);
    if (Math.abs(nowSec - fields.timestampSec) > REQUEST_WINDOW_SEC)
      return { signPub, verified: proofFailed('expired', request) };
    const bodyHash = createHash('sha256')
      .update(request.busRawBody ?? EMPTY_BODY)
      .digest('hex');
    // The path exactly as sent (with the query): a signature for one route or query never fits another.
    if (!verifyRequestSignature(fields, { method: request.method, path: request.raw.url ?? '', bodyHash }))
      return { signPub, verified: proofFailed('bad_signature', request) };
    return { signPub, verified: true, nonce: { value: fields.nonce, timestampSec: fields.timestampSec } };
  }

  /**
   * Claims the nonce of a request whose signature held, from a signer on the allowlist: a forger cannot burn a
   * real client's nonces, and a self-made key (anyone may sign) writes nothing to the store. Kept past the
   * window on both sides of the timestamp, which is as long as the request could be accepted.
   */
  async function claimNonce(
    request: FastifyRequest,
    signPub: string,
    nonce: { value: string; timestampSec: number },
  ): Promise<boolean> {
    const fresh = await store.nonces.claim(
      signPub,
      nonce.value,
      (nonce.timestampSec + 2 * REQUEST_WINDOW_SEC) * 1000,
    );
    return fresh || proofFailed('replay', request);
  }

  return {
    refusals,
    async signer(request) {
      if (request.busSigner) return request.busSigner;
      const proof = await prove(request);
      const { signPub } = proof;
      const user = await store.users.get(signPub);
      if (!user) refuse('unknown_identity');
      if (user?.status !== 'active') refuse('revoked');
      if (user?.userId) {
        const account = await options.users.find(user.userId);
        if (account?.status !== 'active') refuse('account_disabled');
      }
      const verified =
        proof.nonce === undefined ? proof.verified : await claimNonce(request, signPub, proof.nonce);
      const signer: BusSigner = { signPub, user: user as BusUserRecord, verified };
      request.busSigner = signer;
      return signer;
    },
  };
}
