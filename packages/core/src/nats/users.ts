// Issues NATS users: a user JWT signed by an account's signing key, for a fresh user nkey (then with the creds
// text, JWT + seed, a client connects with) or for a public key the client made (then the seed never leaves it).

import { encodeUser, fmtCreds, type Permissions, type User } from '@nats-io/jwt';
import { createUser, fromPublic, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { NatsError } from './errors.js';
import { nativeSeedKey } from './native-keys.js';

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
  /**
   * The user's public nkey (`U…`), made by the client, which keeps the seed: the JWT is issued for it and no
   * seed or creds come back. Omitted: a fresh key pair is made here and its seed returned.
   */
  publicKey?: string;
}

/** A grant for a key the client made. */
export type NatsUserGrantForKey = NatsUserGrant & { publicKey: string };
/** A grant for which a fresh key pair is made. */
export type NatsUserGrantWithSeed = NatsUserGrant & { publicKey?: undefined };

/** A user JWT for a public key the client holds the seed of: nothing secret in it. */
export interface IssuedNatsUserJwt {
  /** The user's public nkey (`U…`), what a revocation names. */
  publicKey: string;
  jwt: string;
}

export interface IssuedNatsUser extends IssuedNatsUserJwt {
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

/** The `pub`, `sub` and `resp` claims a grant gives, as they appear in the user JWT. */
export function grantPermissions(grant: NatsUserGrant): Permissions {
  const permissions: Permissions = {};
  const pub = permission(grant.publish);
  const sub = permission(grant.subscribe);
  if (pub) permissions.pub = pub;
  if (sub) permissions.sub = sub;
  if (grant.responses)
    permissions.resp = { max: grant.responses.max, ttl: grant.responses.ttlMs * 1_000_000 };
  return permissions;
}

/**
 * The user key a client handed in, checked: the public nkey of a user (`U…`, its checksum valid). An account or
 * operator key, or a seed sent by mistake, is refused before anything is signed for it.
 */
export function userPublicKey(value: unknown): KeyPair {
  const expected = 'expected the public nkey of a user (U followed by 55 base32 characters)';
  if (typeof value !== 'string' || !/^U[A-Z2-7]{55}$/.test(value)) {
    const what =
      typeof value === 'string' && value.startsWith('S')
        ? 'a seed, which must stay with the client'
        : 'not a user public key';
    throw new NatsError('nats_invalid_user_key', `the key given is ${what}; ${expected}`);
  }
  try {
    return fromPublic(value);
  } catch (error) {
    throw new NatsError('nats_invalid_user_key', `the key given has a bad checksum; ${expected}`, {
      cause: error,
    });
  }
}

/**
 * A user of `signer.account` with the grant's permissions: for the client's own key when `grant.publicKey` is
 * given (only the JWT comes back), else for a fresh key pair (JWT, seed and creds).
 *
 * @example
 *   // In the browser: const key = createUser(); send key.getPublicKey(), keep key.getSeed().
 *   const member = await issueNatsUser(busSigner, {
 *     name: 'bus-member-u1',
 *     publicKey: 'UD…',
 *     publish: { allow: ['bus.room.r1.>'] },
 *     subscribe: { allow: ['bus.room.r1.>', '_INBOX.u1.>'] },
 *     expiresAt: new Date(Date.now() + 15 * 60_000),
 *   });
 *   // member.jwt goes back; the client connects with jwtAuthenticator(member.jwt, seed).
 */
export function issueNatsUser(signer: AccountSigner, grant: NatsUserGrantForKey): Promise<IssuedNatsUserJwt>;
export function issueNatsUser(signer: AccountSigner, grant: NatsUserGrantWithSeed): Promise<IssuedNatsUser>;
export function issueNatsUser(
  signer: AccountSigner,
  grant: NatsUserGrant,
): Promise<IssuedNatsUserJwt | IssuedNatsUser>;
export async function issueNatsUser(
  signer: AccountSigner,
  grant: NatsUserGrant,
): Promise<IssuedNatsUserJwt | IssuedNatsUser> {
  const clientKey = grant.publicKey === undefined ? undefined : userPublicKey(grant.publicKey);
  // Native Ed25519 for the new key's public key and the JWT's checks (native-keys.ts).
  const user = clientKey ?? nativeSeedKey(createUser());
  const claims: Partial<User> = { ...grantPermissions(grant) };
  const jwt = await encodeUser(grant.name, user, signer.account, claims, {
    signer: signer.signingKey,
    ...(grant.expiresAt === undefined ? {} : { exp: Math.floor(grant.expiresAt.getTime() / 1000) }),
  });
  if (clientKey) return { publicKey: clientKey.getPublicKey(), jwt };
  const seed = new TextDecoder().decode(user.getSeed());
  return { publicKey: user.getPublicKey(), jwt, seed, creds: new TextDecoder().decode(fmtCreds(jwt, user)) };
}

/** A signing key pair from its seed text (`SA…`). */
export function signingKeyFromSeed(seed: string): KeyPair {
  return fromSeed(new TextEncoder().encode(seed.trim()));
}
