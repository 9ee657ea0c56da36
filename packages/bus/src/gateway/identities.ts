// One bus identity per Homeport account, held by the server for the browser: made on first use, its private
// keys sealed at rest (identity-seal.ts), put on the allowlist as a member owned by the account, and kept
// opened in a bounded in-memory cache. Creation is create-once in the store, so two replicas racing for the
// same account agree on the winner's identity.

import { endpointId, generateIdentity, type Identity, signPubHex, toHex } from '../crypto/index.js';
import { type BusStore, BusStoreError, type BusUserRecord } from '../store/repositories.js';
import { GatewayError } from './errors.js';
import type { IdentitySealer } from './identity-seal.js';

/** The account a gateway identity acts for. */
export interface GatewayAccount {
  userId: string;
  username: string;
}

export interface GatewayIdentity {
  userId: string;
  identity: Identity;
  signPub: string;
  endpointId: string;
  handle: string;
}

export interface GatewayIdentities {
  /** The account's identity, made and put on the allowlist when it has none. Refused once revoked. */
  forAccount(account: GatewayAccount): Promise<GatewayIdentity>;
  /** Its allowlist entry as it stands now (the signer the service checks rooms against). */
  signer(identity: GatewayIdentity): Promise<BusUserRecord>;
  /** Drops an account's opened keys from memory (its access narrowed). */
  forget(userId: string): void;
}

export interface GatewayIdentitiesOptions {
  store: BusStore;
  sealer: IdentitySealer;
  clock: () => number;
  /** Opened identities kept in memory (least recently used dropped first). */
  cacheSize?: number;
}

export function createGatewayIdentities(options: GatewayIdentitiesOptions): GatewayIdentities {
  const { store, sealer, clock } = options;
  const cacheSize = options.cacheSize ?? 1000;
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const cache = new Map<string, GatewayIdentity>();
  const making = new Map<string, Promise<GatewayIdentity>>();

  const remember = (opened: GatewayIdentity) => {
    cache.delete(opened.userId);
    cache.set(opened.userId, opened);
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next();
      if (oldest.done === true) break;
      cache.delete(oldest.value);
    }
  };

  async function stored(account: GatewayAccount): Promise<{ identity: Identity; signPub: string }> {
    const found = await store.gatewayIdentities.get(account.userId);
    if (found)
      return {
        identity: sealer.open(account.userId, found.signPub, found.sealedPrivate),
        signPub: found.signPub,
      };
    const identity = generateIdentity();
    const signPub = signPubHex(identity);
    try {
      await store.gatewayIdentities.create({
        userId: account.userId,
        signPub,
        kexPub: toHex(identity.kexPub),
        sealedPrivate: sealer.seal(account.userId, identity),
        createdAt: new Date(clock()).toISOString(),
      });
      return { identity, signPub };
    } catch (error) {
      if (!(error instanceof BusStoreError && error.code === 'bus_gateway_exists')) throw error;
      // Another replica (or request) made it first: use the winner's, never a second identity.
      const winner = await store.gatewayIdentities.get(account.userId);
      if (!winner) throw error;
      return {
        identity: sealer.open(account.userId, winner.signPub, winner.sealedPrivate),
        signPub: winner.signPub,
      };
    }
  }

  /** Puts the identity on the allowlist if a previous attempt stopped between the two writes. */
  async function allowlisted(account: GatewayAccount, identity: Identity, signPub: string) {
    let user = await store.users.get(signPub);
    if (!user) {
      try {
        user = await store.users.add(
          {
            signPub,
            kexPub: toHex(identity.kexPub),
            handle: account.username,
            role: 'member',
            userId: account.userId,
          },
          new Date(clock()).toISOString(),
        );
      } catch (error) {
        if (!(error instanceof BusStoreError && error.code === 'bus_user_exists')) throw error;
        user = await store.users.get(signPub);
      }
    }
    if (user?.status !== 'active') throw revoked();
    return user;
  }

  const revoked = () =>
    new GatewayError(
      'gateway_identity_revoked',
      'This account’s bus identity was revoked (the account was disabled, or an admin revoked it)',
    );

  return {
    async forAccount(account) {
      const cached = cache.get(account.userId);
      if (cached) {
        remember(cached);
        return cached;
      }
      let pending = making.get(account.userId);
      if (!pending) {
        pending = (async () => {
          const { identity, signPub } = await stored(account);
          const user = await allowlisted(account, identity, signPub);
          const opened: GatewayIdentity = {
            userId: account.userId,
            identity,
            signPub,
            endpointId: endpointId(identity.signPub),
            handle: user.handle,
          };
          remember(opened);
          return opened;
        })().finally(() => making.delete(account.userId));
        making.set(account.userId, pending);
      }
      return pending;
    },

    async signer(opened) {
      const user = await store.users.get(opened.signPub);
      if (user?.status !== 'active') throw revoked();
      return user;
    },

    forget(userId) {
      cache.delete(userId);
    },
  };
}
