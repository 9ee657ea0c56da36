// The account layout of the managed NATS: which accounts exist, what their JWTs grant, and why.
// docs/design.md, "NATS: operator mode and the account layout", explains the choices.

import type { Account, OperatorLimits } from '@nats-io/jwt';
import type { NatsUserGrantWithSeed } from './users.js';

/**
 * Accounts Homeport issues users in. SYS exists too, because the resolver requires it; its one user is
 * Homeport's own, and no user of it is ever handed out.
 */
export type NatsAccountName = 'HOMEPORT' | 'BUS';
export const NATS_ACCOUNTS: readonly NatsAccountName[] = ['HOMEPORT', 'BUS'];
export type AnyAccountName = NatsAccountName | 'SYS';
export const ALL_ACCOUNTS: readonly AnyAccountName[] = ['SYS', 'HOMEPORT', 'BUS'];

/** -1 is "no limit" in NATS JWTs; a limit left out decodes as 0 on the server, which would allow nothing. */
const NO_LIMIT = -1;

const CORE_LIMITS = {
  subs: NO_LIMIT,
  data: NO_LIMIT,
  payload: NO_LIMIT,
  imports: NO_LIMIT,
  exports: NO_LIMIT,
  wildcards: true,
  conn: NO_LIMIT,
  leaf: NO_LIMIT,
  // Every user of these accounts signs the server's nonce with its seed; a stolen JWT alone gets nothing.
  disallow_bearer: true,
} satisfies OperatorLimits;

/** JetStream on without quotas: the store and the bus are bounded by their own stream and bucket limits. */
const JETSTREAM_ON = {
  mem_storage: NO_LIMIT,
  disk_storage: NO_LIMIT,
  streams: NO_LIMIT,
  consumer: NO_LIMIT,
  max_ack_pending: NO_LIMIT,
  mem_max_stream_bytes: 0,
  disk_max_stream_bytes: 0,
  max_bytes_required: false,
} satisfies OperatorLimits;

const DESCRIPTIONS: Record<AnyAccountName, string> = {
  SYS: 'nats-server system account (server events, resolver updates); no Homeport traffic',
  HOMEPORT: "Homeport's own state: KV buckets and streams of the store and events; one service user",
  BUS: 'bus rooms: per-member users limited to their rooms, plus a Homeport service user',
};

/** The `nats` claims of an account's JWT; `signingKeys` are the public keys allowed to sign its users. */
export function accountClaims(name: AnyAccountName, signingKeys: readonly string[]): Partial<Account> {
  return {
    description: DESCRIPTIONS[name],
    limits: name === 'SYS' ? { ...CORE_LIMITS } : { ...CORE_LIMITS, ...JETSTREAM_ON },
    signing_keys: [...signingKeys],
  };
}

/**
 * Homeport's own user in each account. In SYS it may only push and look up account JWTs (and get the answers
 * on its inbox): a SYS user may otherwise ask every server for its connections and accounts, or make a
 * JetStream leader step down.
 */
export function serviceUserGrant(name: AnyAccountName): NatsUserGrantWithSeed {
  if (name !== 'SYS') return { name: `homeport-service-${name.toLowerCase()}` };
  return {
    name: 'homeport-service-sys',
    publish: { allow: ['$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE', '$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP'] },
    subscribe: { allow: ['_INBOX.>'] },
  };
}
