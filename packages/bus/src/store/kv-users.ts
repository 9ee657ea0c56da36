// The allowlist and the gateway identities on the KV port: `user.<signPub>` records with
// `account.<userId>.<signPub>` index keys written before them, and `gateway.<userId>` records made once.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, lastToken, mapBounded, part, readDoc } from './kv-support.js';
import {
  BusStoreError,
  type BusUserRecord,
  type BusUserRepository,
  type GatewayIdentityRecord,
  type GatewayIdentityRepository,
} from './repositories.js';
import { lowerKey } from './room-checks.js';

const userKey = (signPub: string) => `user.${part(signPub)}`;
const accountKey = (userId: string, signPub: string) => `account.${part(userId)}.${part(signPub)}`;
const USER_FIELDS = [
  'signPub',
  'kexPub',
  'handle',
  'role',
  'status',
  'userId',
  'createdAt',
  'revokedAt',
] as const;
const GATEWAY_FIELDS = ['userId', 'signPub', 'kexPub', 'sealedPrivate', 'createdAt'] as const;

const oldestFirst = (a: BusUserRecord, b: BusUserRecord) =>
  compareText(a.createdAt, b.createdAt) || compareText(a.signPub, b.signPub);

export function kvUserRepository(bucket: KvBucket): BusUserRepository {
  const read = (key: string) => readDoc<BusUserRecord>(bucket, key, USER_FIELDS);

  /** The users behind keys (records, or index keys ending in the record's token); missing ones left out. */
  const readAll = async (keys: readonly string[]) => {
    const users = await mapBounded(keys, async (key) => (await read(`user.${lastToken(key)}`))?.value);
    return users.filter((user) => user !== undefined);
  };

  return {
    async add(input, now) {
      const record: BusUserRecord = {
        signPub: lowerKey(input.signPub),
        kexPub: lowerKey(input.kexPub),
        handle: input.handle,
        role: input.role,
        status: 'active',
        userId: input.userId,
        createdAt: now,
        revokedAt: null,
      };
      const index = record.userId === null ? undefined : accountKey(record.userId, record.signPub);
      if (index) await bucket.put(index, {});
      try {
        await bucket.create(userKey(record.signPub), record);
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Taken: the index key stays only if the stored identity is that account's (never changes after).
        const stored = await read(userKey(record.signPub));
        if (index && stored?.value.userId !== record.userId) await bucket.delete(index);
        throw new BusStoreError('bus_user_exists', `${record.signPub} is on the allowlist already`, {
          cause: error,
        });
      }
      return record;
    },

    async get(signPub) {
      return (await read(userKey(lowerKey(signPub))))?.value;
    },

    async list() {
      return (await readAll(await bucket.keys('user.'))).sort(oldestFirst);
    },

    async listByAccount(userId) {
      // An index key left by an add that found the key taken names another account's identity: skipped.
      const users = await readAll(await bucket.keys(`account.${part(userId)}.`));
      return users.filter((user) => user.userId === userId).sort(oldestFirst);
    },

    revoke: (signPub, now) =>
      withCasRetry(async () => {
        const current = await read(userKey(lowerKey(signPub)));
        if (current === undefined || current.value.status !== 'active') return undefined;
        const revoked: BusUserRecord = { ...current.value, status: 'revoked', revokedAt: now };
        await bucket.update(userKey(revoked.signPub), revoked, current.revision);
        return revoked;
      }, CAS_TRIES),

    async hasActiveAdmin() {
      // The allowlist is a team's devices: read whole, like `list`.
      const users = await readAll(await bucket.keys('user.'));
      return users.some((user) => user.role === 'admin' && user.status === 'active');
    },
  };
}

export function kvGatewayIdentityRepository(bucket: KvBucket): GatewayIdentityRepository {
  const key = (userId: string) => `gateway.${part(userId)}`;
  return {
    async get(userId) {
      return (await readDoc<GatewayIdentityRecord>(bucket, key(userId), GATEWAY_FIELDS))?.value;
    },
    async create(record) {
      const stored = { ...record, signPub: lowerKey(record.signPub), kexPub: lowerKey(record.kexPub) };
      try {
        await bucket.create(key(record.userId), stored);
      } catch (error) {
        if (!isConflict(error)) throw error;
        throw new BusStoreError(
          'bus_gateway_exists',
          `Account ${record.userId} has a gateway identity already`,
          {
            cause: error,
          },
        );
      }
    },
  };
}
