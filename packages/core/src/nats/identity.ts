// The operator, its accounts and Homeport's service users, generated once into `<dataDir>/nats` (derived from
// the secret key on a cluster node) and reused on every later start (same keys, so the JetStream data of each
// account stays its own). An account JWT signed again for a layout change keeps the account's revocations.

import { join } from 'node:path';
import { type ClaimsData, encodeOperator, type Operator, type User } from '@nats-io/jwt';
import { createAccount, createOperator, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { ensurePrivateDir, readIfExists, writeOnce, writePrivate } from '../fs/private-files.js';
import { newestAccountJwt, signAccountJwt } from './account-jwt.js';
import type { DerivedKeyLabel, KeyDeriver } from './derived-keys.js';
import { NatsError } from './errors.js';
import { credsClaims, decodeVerified } from './jwt-read.js';
import {
  ALL_ACCOUNTS,
  type AnyAccountName,
  accountClaims,
  NATS_ACCOUNTS,
  type NatsAccountName,
  serviceUserGrant,
} from './layout.js';
import { nativeSeedKey } from './native-keys.js';
import { type AccountSigner, grantPermissions, issueNatsUser, type NatsUserGrant } from './users.js';

export interface NatsIdentity {
  operatorJwtFile: string;
  /** Public key of SYS, the server's system account. */
  systemAccount: string;
  /** Account public key → account JWT, for `resolver_preload`. */
  accountJwts: Record<string, string>;
  accounts: Record<AnyAccountName, { publicKey: string }>;
  /** Signs users of HOMEPORT and BUS. */
  signers: Record<NatsAccountName, AccountSigner>;
  /** Signs account JWTs (a runtime update of their revocations). */
  operatorSigningKey: KeyPair;
  /** Creds files of Homeport's own service user in each account. */
  serviceCreds: Record<NatsAccountName, string>;
  /** Creds file of Homeport's user in SYS, which pushes account JWTs to the running server; never handed out. */
  systemCreds: string;
}

/** Paths of the identity files under `<dataDir>/nats`; docs/nats.md lists them. */
export function identityPaths(natsDir: string) {
  const accountsDir = join(natsDir, 'accounts');
  const usersDir = join(natsDir, 'users');
  return {
    accountsDir,
    usersDir,
    operatorSeed: join(natsDir, 'operator.nk'),
    operatorSigningSeed: join(natsDir, 'operator-signing.nk'),
    operatorJwt: join(natsDir, 'operator.jwt'),
    accountSeed: (name: AnyAccountName) => join(accountsDir, `${name}.nk`),
    accountSigningSeed: (name: AnyAccountName) => join(accountsDir, `${name}-signing.nk`),
    accountJwt: (name: AnyAccountName) => join(accountsDir, `${name}.jwt`),
    serviceCreds: (name: AnyAccountName) => join(usersDir, `${name}.creds`),
    /** The full resolver's store: the newest JWT of each account it has seen (pushed, preloaded, gossiped). */
    resolverDir: join(natsDir, 'resolver'),
    resolverJwt: (publicKey: string) => join(natsDir, 'resolver', `${publicKey}.jwt`),
  };
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function keyFromSeed(file: string, seed: string): KeyPair {
  try {
    // Native Ed25519 for the public key and signatures: in nkeys' JavaScript they were most of NATS's start-up.
    return nativeSeedKey(fromSeed(new TextEncoder().encode(seed.trim())));
  } catch (error) {
    throw new NatsError('nats_keys_invalid', `${file} does not hold an nkey seed`, { cause: error });
  }
}

/** The seed in `file`, generated with `create` the first time. */
function seedKey(file: string, create: () => KeyPair): KeyPair {
  return keyFromSeed(
    file,
    writeOnce(file, () => `${text(create().getSeed())}\n`),
  );
}

/** The seed in `file` when it is there: identity keys may be moved offline once their JWT is signed. */
function optionalSeedKey(file: string): KeyPair | undefined {
  const seed = readIfExists(file);
  return seed === undefined ? undefined : keyFromSeed(file, seed);
}

/** A JWT's claims without the fields the encoder adds, for comparing with what the layout wants now. */
export function claimsOf(
  jwt: string,
): { iss: string; sub: string; nats: Record<string, unknown> } | undefined {
  let claims: ClaimsData<Record<string, unknown>>;
  try {
    claims = decodeVerified<Record<string, unknown>>(jwt.trim());
  } catch {
    // Unreadable: treated like a missing JWT and signed again.
    return undefined;
  }
  const { type: _type, version: _version, ...nats } = claims.nats;
  return { iss: claims.iss, sub: claims.sub, nats };
}

/** JSON with object keys sorted at every level, so claims compare by content. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sameClaims = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** An account's claims without its revocations: those change at runtime and are no layout change. */
function layoutPart(nats: Record<string, unknown>): Record<string, unknown> {
  const { revocations: _revocations, ...rest } = nats;
  return rest;
}

function needSeed(key: KeyPair | undefined, file: string, why: string): KeyPair {
  if (key) return key;
  throw new NatsError('nats_keys_invalid', `${file} is missing but needed to ${why}; put it back`);
}

export interface LoadIdentityOptions {
  /**
   * Cluster mode: the operator's and accounts' keys are derived (from HOMEPORT_SECRET_KEY) instead of random,
   * so every node makes the same ones. Files already there must hold these keys (`assertClusterIdentity`).
   */
  derive?: KeyDeriver;
}

/**
 * Loads the identity under `natsDir`, creating what is missing: the operator (identity and signing key), SYS,
 * HOMEPORT and BUS (identity and signing key each), and a service user per account. An account JWT whose claims
 * (revocations aside) no longer match the layout is signed again with the same keys, keeping the revocations
 * of the newest JWT of that account on disk or in the resolver's store; one that matches is left as it is.
 */
export async function loadOrCreateIdentity(
  natsDir: string,
  options: LoadIdentityOptions = {},
): Promise<NatsIdentity> {
  const paths = identityPaths(natsDir);
  ensurePrivateDir(natsDir);
  ensurePrivateDir(paths.accountsDir);
  ensurePrivateDir(paths.usersDir);
  const { derive } = options;
  const make = (label: DerivedKeyLabel, random: () => KeyPair) => (derive ? () => derive(label) : random);

  // The operator's identity seed is needed only to sign the operator JWT itself; created when absent on
  // the very first start (when operator.jwt is absent too). A derived one can always be made again.
  const firstStart = readIfExists(paths.operatorJwt) === undefined;
  const operatorKey =
    firstStart || derive
      ? seedKey(paths.operatorSeed, make('operator', createOperator))
      : optionalSeedKey(paths.operatorSeed);
  const operatorSigning = seedKey(paths.operatorSigningSeed, make('operator-signing', createOperator));

  const accounts = {} as Record<AnyAccountName, { publicKey: string }>; // filled for every name below
  const accountJwts: Record<string, string> = {};
  const signingKeys = {} as Record<AnyAccountName, KeyPair>; // filled for every name below
  for (const name of ALL_ACCOUNTS) {
    const jwtFile = paths.accountJwt(name);
    const existing = readIfExists(jwtFile);
    const existingClaims = existing === undefined ? undefined : claimsOf(existing);
    // The account's public key comes from its JWT once signed: its identity seed may then live offline.
    const publicKey =
      existingClaims?.sub ??
      seedKey(paths.accountSeed(name), make(`account-${name}`, createAccount)).getPublicKey();
    const signing = seedKey(paths.accountSigningSeed(name), make(`account-${name}-signing`, createAccount));
    signingKeys[name] = signing;
    const wanted = accountClaims(name, [signing.getPublicKey()]);
    let jwt = existing?.trim();
    if (
      jwt === undefined ||
      existingClaims === undefined ||
      existingClaims.iss !== operatorSigning.getPublicKey() ||
      !sameClaims(layoutPart(existingClaims.nats), wanted)
    ) {
      // The resolver's copy is newer than ours when another node of a cluster pushed revocations: those are
      // the ones to keep, and the new JWT must be newer than both or the resolver would not take it.
      const newest = newestAccountJwt(publicKey, [existing, readIfExists(paths.resolverJwt(publicKey))]);
      jwt = await signAccountJwt({
        name,
        publicKey,
        claims: wanted,
        revocations: newest?.revocations ?? {},
        signer: operatorSigning,
        after: newest?.iat ?? 0,
      });
      writePrivate(jwtFile, `${jwt}\n`);
    }
    accounts[name] = { publicKey };
    accountJwts[publicKey] = jwt;
  }

  const wantedOperator: Partial<Operator> = {
    signing_keys: [operatorSigning.getPublicKey()],
    system_account: accounts.SYS.publicKey,
  };
  const operatorJwt = readIfExists(paths.operatorJwt);
  const operatorClaims = operatorJwt === undefined ? undefined : claimsOf(operatorJwt);
  if (operatorClaims === undefined || !sameClaims(operatorClaims.nats, wantedOperator)) {
    const key = needSeed(operatorKey, paths.operatorSeed, 'sign the operator JWT again');
    if (operatorClaims !== undefined && operatorClaims.sub !== key.getPublicKey())
      throw new NatsError(
        'nats_keys_invalid',
        `${paths.operatorSeed} is not the key of ${paths.operatorJwt}`,
      );
    writePrivate(paths.operatorJwt, `${await encodeOperator('homeport', key, wantedOperator)}\n`);
  }

  const signers = {} as Record<NatsAccountName, AccountSigner>; // filled for every name below
  const serviceCreds = {} as Record<NatsAccountName, string>; // filled for every name below
  for (const name of NATS_ACCOUNTS) {
    const signer: AccountSigner = { account: accounts[name].publicKey, signingKey: signingKeys[name] };
    signers[name] = signer;
    serviceCreds[name] = await ensureServiceUser(paths.serviceCreds(name), signer, serviceUserGrant(name));
  }
  const systemCreds = await ensureServiceUser(
    paths.serviceCreds('SYS'),
    { account: accounts.SYS.publicKey, signingKey: signingKeys.SYS },
    serviceUserGrant('SYS'),
  );

  return {
    operatorJwtFile: paths.operatorJwt,
    systemAccount: accounts.SYS.publicKey,
    accountJwts,
    accounts,
    signers,
    operatorSigningKey: operatorSigning,
    serviceCreds,
    systemCreds,
  };
}

/** The service user's creds file, issued again when what is there is no longer valid. */
async function ensureServiceUser(
  file: string,
  signer: AccountSigner,
  grant: ReturnType<typeof serviceUserGrant>,
): Promise<string> {
  if (!(await serviceCredsValid(readIfExists(file), signer, grant)))
    writePrivate(file, (await issueNatsUser(signer, grant)).creds);
  return file;
}

/**
 * A service user is kept while it belongs to the account, was signed by its current signing key and has the
 * permissions its grant gives now.
 */
async function serviceCredsValid(
  creds: string | undefined,
  signer: AccountSigner,
  grant: NatsUserGrant,
): Promise<boolean> {
  if (creds === undefined) return false;
  try {
    const uc = credsClaims<User>(creds);
    const { pub, sub, resp } = uc.nats;
    return (
      uc.iss === signer.signingKey.getPublicKey() &&
      uc.nats.issuer_account === signer.account &&
      sameClaims({ pub, sub, resp }, grantPermissions(grant))
    );
  } catch {
    // Unreadable creds are replaced by a new service user.
    return false;
  }
}
