// Issues NATS users: a fresh user nkey, a user JWT signed by an account's signing key, and the creds text
// (JWT + seed) a client connects with.

import { encodeUser, fmtCreds, type Permissions, type User } from '@nats-io/jwt';
import { createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';

export interface SubjectPermission {
  /** Subjects allowed (wildcards `*` and `>` as NATS means them); none listed means none allowed. */
  allow?: readonly string[];
  /** Subjects refused even when an allow pattern matches. */
  deny?: readonly string[];
}

export interface NatsUserGrant {
  /** Shown by the server's monitoring pages and in its logs (e.g. `bus-member-<userId>`). */
  name: string;
  /** Omitted: publishing anywhere in the account is allowed. */
  publish?: SubjectPermission;
  /** Omitted: subscribing anywhere in the account is allowed. */
  subscribe?: SubjectPermission;
  /**
   * Lets the user answer requests it receives on the requester's reply subject without a publish permission
   * for it: at most `max` replies within `ttlMs` of each request.
   */
  responses?: { max: number; ttlMs: number };
  /** When the JWT stops being accepted; omitted means it never expires (service users). */
  expiresAt?: Date;
}

export interface IssuedNatsUser {
  /** The user's public nkey (`U…`), what a revocation names. */
  publicKey: string;
  jwt: string;
  /** The user's seed (`SU…`): a secret, give it only to that user. */
  seed: string;
  /** The creds file text (JWT + seed) that `credsAuthenticator` and the `nats` CLI read. */
  creds: string;
}

/** What signs users of one account: the account's public key and the seed of one of its signing keys. */
export interface AccountSigner {
  account: string;
  signingKey: KeyPair;
}

function permission(value: SubjectPermission | undefined): { allow?: string[]; deny?: string[] } | undefined {
  if (value === undefined) return undefined;
  return {
    ...(value.allow === undefined ? {} : { allow: [...value.allow] }),
    ...(value.deny === undefined ? {} : { deny: [...value.deny] }),
  };
}

/**
 * A new user of `signer.account` with the grant's permissions.
 *
 * @example
 *   const member = await issueNatsUser(busSigner, {
 *     name: 'bus-member-u1',
 *     publish: { allow: ['bus.room.r1.>'] },
 *     subscribe: { allow: ['bus.room.r1.>', '_INBOX.u1.>'] },
 *   });
 */
export async function issueNatsUser(signer: AccountSigner, grant: NatsUserGrant): Promise<IssuedNatsUser> {
  const user = createUser();
  const permissions: Permissions = {};
  const pub = permission(grant.publish);
  const sub = permission(grant.subscribe);
  if (pub) permissions.pub = pub;
  if (sub) permissions.sub = sub;
  if (grant.responses)
    permissions.resp = { max: grant.responses.max, ttl: grant.responses.ttlMs * 1_000_000 };
  const claims: Partial<User> = { ...permissions };
  const jwt = await encodeUser(grant.name, user, signer.account, claims, {
    signer: signer.signingKey,
    ...(grant.expiresAt === undefined ? {} : { exp: Math.floor(grant.expiresAt.getTime() / 1000) }),
  });
  const seed = new TextDecoder().decode(user.getSeed());
  return { publicKey: user.getPublicKey(), jwt, seed, creds: new TextDecoder().decode(fmtCreds(jwt, user)) };
}

/** A signing key pair from its seed text (`SA…`). */
export function signingKeyFromSeed(seed: string): KeyPair {
  return fromSeed(new TextEncoder().encode(seed.trim()));
}
