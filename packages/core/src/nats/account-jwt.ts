// Account JWTs as Homeport signs them: the layout's claims plus the account's revocations, each JWT issued in
// a later second than every JWT of that account already stored, because that `iat` is what the resolver keeps.

import { type Account, decode, encodeAccount } from '@nats-io/jwt';
import type { KeyPair } from '@nats-io/nkeys';
import { NatsError } from './errors.js';
import type { AnyAccountName } from './layout.js';
import { userPublicKey } from './users.js';

/** User public key (`U…`) → unix seconds: user JWTs of that key issued at or before then are refused. */
export type NatsRevocations = Record<string, number>;

/** Past this, a "seconds" value is surely milliseconds (year 5138): it would revoke the key for good. */
const LATEST_SECONDS = 1e11;

/**
 * The revocations handed in, checked and copied. A `*` entry (every user issued before a time) is refused: it
 * would also cut Homeport's own service user of the account, which is issued once and kept.
 */
export function checkedRevocations(revocations: Readonly<Record<string, number>>): NatsRevocations {
  if (typeof revocations !== 'object' || revocations === null || Array.isArray(revocations))
    throw new NatsError(
      'nats_invalid_revocation',
      'revocations must be an object of user key → unix seconds',
    );
  const checked: NatsRevocations = {};
  for (const [key, at] of Object.entries(revocations)) {
    if (key === '*')
      throw new NatsError(
        'nats_invalid_revocation',
        "a '*' revocation would also end Homeport's own service user; revoke users by their keys",
      );
    try {
      userPublicKey(key);
    } catch (error) {
      throw new NatsError(
        'nats_invalid_revocation',
        `revocation of ${JSON.stringify(key)}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!Number.isSafeInteger(at) || at <= 0 || at >= LATEST_SECONDS)
      throw new NatsError(
        'nats_invalid_revocation',
        `revocation of ${key}: ${String(at)} is not a time in unix seconds (Math.floor(Date.now() / 1000))`,
      );
    checked[key] = at;
  }
  return checked;
}

/** What a stored account JWT says, when it can be read. */
export interface StoredAccountJwt {
  jwt: string;
  /** The public key of the account it is about. */
  sub: string;
  iat: number;
  revocations: NatsRevocations;
}

/** Decodes a stored account JWT; unreadable text is undefined (it is then signed again or ignored). */
export function readAccountJwt(jwt: string | undefined): StoredAccountJwt | undefined {
  if (jwt === undefined) return undefined;
  try {
    const claims = decode<Partial<Account>>(jwt.trim());
    const listed = claims.nats.revocations ?? {};
    const revocations: NatsRevocations = {};
    for (const [key, at] of Object.entries(listed)) if (typeof at === 'number') revocations[key] = at;
    return { jwt: jwt.trim(), sub: claims.sub, iat: claims.iat, revocations };
  } catch {
    // Not a JWT: treated like a missing one.
    return undefined;
  }
}

/** The newest of the stored JWTs of one account (the one the resolver would keep), if any is readable. */
export function newestAccountJwt(
  publicKey: string,
  candidates: readonly (string | undefined)[],
): StoredAccountJwt | undefined {
  let newest: StoredAccountJwt | undefined;
  for (const candidate of candidates) {
    const stored = readAccountJwt(candidate);
    if (stored?.sub === publicKey && (newest === undefined || stored.iat > newest.iat)) newest = stored;
  }
  return newest;
}

/**
 * How far ahead of this clock a stored `iat` may be before signing fails instead of waiting: another node's
 * clock that far ahead is a problem to fix (JWT expiry depends on the clocks too).
 */
const MAX_WAIT_MS = 3000;

/**
 * Waits until the current second is later than `after`. nats-server keeps a preloaded or gossiped account JWT
 * only when its `iat` is not older than the stored one, and swaps two different JWTs of the same `iat` back and
 * forth between cluster nodes; so every JWT is signed in a later second than the last. @nats-io/jwt takes
 * `iat` from Date.now(), so this waits on that clock rather than writing a future `iat`.
 */
async function waitForSecondAfter(after: number, name: string): Promise<void> {
  const waitMs = (after + 1) * 1000 - Date.now();
  if (waitMs <= 0) return;
  if (waitMs > MAX_WAIT_MS)
    throw new NatsError(
      'nats_update_failed',
      `the stored JWT of account ${name} was issued at ${after}, ${Math.ceil(waitMs / 1000)} s ahead of this machine's clock; synchronise the clocks (NTP) and try again`,
    );
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}

export interface SignAccountJwtOptions {
  name: AnyAccountName;
  publicKey: string;
  /** The layout's claims (`accountClaims`), without revocations. */
  claims: Partial<Account>;
  revocations: NatsRevocations;
  /** The operator's signing key. */
  signer: KeyPair;
  /** The newest `iat` of this account's JWTs already stored: the new one is issued in a later second. */
  after: number;
}

/** Signs the account's JWT: the layout's claims, plus `revocations` when there are any. */
export async function signAccountJwt(options: SignAccountJwtOptions): Promise<string> {
  await waitForSecondAfter(options.after, options.name);
  const claims: Partial<Account> =
    Object.keys(options.revocations).length === 0
      ? options.claims
      : { ...options.claims, revocations: { ...options.revocations } };
  return encodeAccount(options.name, options.publicKey, claims, { signer: options.signer });
}
