// Users on JetStream KV: the record under its id, the case-insensitive name as a claim key, updates as
// compare-and-set so concurrent changes to different fields all land.

import { isConflict, type KvBucket, StoreError } from '@homeport/core';
import { AccountsError } from '../errors.js';
import { keys } from './kv-keys.js';
import { isClaim, isUser } from './kv-shapes.js';
import {
  afterLostCreate,
  byBytes,
  claim,
  deleteAt,
  mapLimit,
  read,
  readClaimable,
  updateRecord,
} from './kv-support.js';
import type { UserPatch, UserRecord, UserRepository } from './repositories.js';

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function applyPatch(user: UserRecord, patch: UserPatch, updatedAt: string): UserRecord {
  const notBefore =
    patch.sessionsNotBefore === undefined
      ? user.sessionsNotBefore
      : Math.max(patch.sessionsNotBefore, user.sessionsNotBefore ?? patch.sessionsNotBefore);
  return {
    ...user,
    ...(patch.role === undefined ? {} : { role: patch.role }),
    ...(patch.status === undefined ? {} : { status: patch.status }),
    ...(patch.passwordHash === undefined ? {} : { passwordHash: patch.passwordHash }),
    ...(notBefore === undefined ? {} : { sessionsNotBefore: notBefore }),
    updatedAt,
  };
}

export function createKvUserRepository(bucket: KvBucket): UserRepository {
  const byId = async (id: string) => (await readClaimable(bucket, keys.user(id), isUser))?.value;

  const all = async (): Promise<UserRecord[]> => {
    const found = await mapLimit(await bucket.keys(keys.users), async (key) => {
      const entry = await readClaimable(bucket, key, isUser);
      return entry?.value;
    });
    return found.filter((user) => user !== undefined);
  };

  return {
    async create(user) {
      const taken = () => new AccountsError('username_taken', `The username "${user.username}" is taken`);
      const nameKey = keys.userName(user.username);
      const holdsName = (record: unknown) => isUser(record) && sameName(record.username, user.username);
      const claimed = await claim(bucket, nameKey, user.id, keys.user, holdsName);
      if (claimed === undefined) throw taken();
      try {
        await bucket.create(keys.user(user.id), user);
      } catch (error) {
        if (!isConflict(error)) throw error; // unavailable: the claim stays until a later create takes it over
        const found = await afterLostCreate(bucket, keys.user(user.id), holdsName);
        if (found === 'lost') throw taken(); // a concurrent create of the name took it over
        if (found === 'other') await deleteAt(bucket, nameKey, claimed);
        throw new StoreError('store_conflict', `user ${user.id} exists already`, { cause: error });
      }
    },
    byId,
    async byUsername(username) {
      const held = await read(bucket, keys.userName(username), isClaim);
      if (held === undefined) return undefined;
      const user = await byId(held.value.owner);
      return user && sameName(user.username, username) ? user : undefined;
    },
    async list() {
      return (await all()).sort((a, b) => byBytes(a.username.toLowerCase(), b.username.toLowerCase()));
    },
    update(id, patch, updatedAt) {
      return updateRecord(bucket, keys.user(id), isUser, (user) => applyPatch(user, patch, updatedAt));
    },
    async countActiveAdmins() {
      return (await all()).filter((user) => user.role === 'admin' && user.status === 'active').length;
    },
  };
}
