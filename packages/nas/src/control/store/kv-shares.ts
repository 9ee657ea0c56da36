// Share links and password attempts on the KV port: `share.<id>` records with a `creator.<user>.<id>` key
// per link (written before the record, so a creator's links are always found), and `attempt.<key>` windows
// in a bucket that forgets a key an hour after its last write.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, lastToken, mapBounded, part, readDoc } from './kv-support.js';
import type { AttemptRepository, AttemptWindow, ShareRecord, ShareRepository } from './repositories.js';
import { uniquenessConflict } from './store-errors.js';

/** Every field of a share record (also what `migrate to-kv` copies, snapshot.ts). */
export const SHARE_FIELDS = [
  'id',
  'exportId',
  'path',
  'kind',
  'mode',
  'secretHash',
  'passwordHash',
  'createdBy',
  'createdAt',
  'expiresAt',
  'revokedAt',
  'opens',
  'lastOpenedAt',
] as const;

const shareKey = (id: string) => `share.${part(id)}`;
const creatorKey = (userId: string, id: string) => `creator.${part(userId)}.${part(id)}`;

const newestFirst = (a: ShareRecord, b: ShareRecord) =>
  compareText(b.createdAt, a.createdAt) || compareText(a.id, b.id);

export function kvShareRepository(bucket: KvBucket): ShareRepository {
  const read = (key: string) => readDoc<ShareRecord>(bucket, key, SHARE_FIELDS);
  const readAll = async (keys: readonly string[]) =>
    (await mapBounded(keys, async (key) => (await read(key))?.value)).filter((share) => share !== undefined);
  const ofCreator = async (userId: string) =>
    (await readAll((await bucket.keys(`creator.${part(userId)}.`)).map((key) => `share.${lastToken(key)}`)))
      // A creator key left by a create that found the id taken names another user's link.
      .filter((share) => share.createdBy === userId);

  /** Changes one stored link by compare-and-set; false when there is none or `change` returns undefined. */
  const change = (id: string, next: (share: ShareRecord) => ShareRecord | undefined) =>
    withCasRetry(async () => {
      const current = await read(shareKey(id));
      if (current === undefined) return false;
      const changed = next(current.value);
      if (changed === undefined) return false;
      await bucket.update(shareKey(id), changed, current.revision);
      return true;
    }, CAS_TRIES);

  return {
    async create(share) {
      await bucket.put(creatorKey(share.createdBy, share.id), {});
      try {
        await bucket.create(shareKey(share.id), share);
      } catch (error) {
        if (!isConflict(error)) throw error;
        const stored = await read(shareKey(share.id));
        if (stored?.value.createdBy !== share.createdBy)
          await bucket.delete(creatorKey(share.createdBy, share.id));
        throw uniquenessConflict('id', `Share link ${share.id} already exists`, error);
      }
    },
    async byId(id) {
      return (await read(shareKey(id)))?.value;
    },
    async list() {
      return (await readAll(await bucket.keys('share.'))).sort(newestFirst);
    },
    async listForCreator(userId) {
      return (await ofCreator(userId)).sort(newestFirst);
    },
    async countActive(createdBy, nowSeconds) {
      return (await ofCreator(createdBy)).filter(
        (share) => share.revokedAt === null && share.expiresAt > nowSeconds,
      ).length;
    },
    revoke: (id, at) =>
      change(id, (share) => (share.revokedAt === null ? { ...share, revokedAt: at } : undefined)),
    async recordOpen(id, at) {
      await change(id, (share) => ({ ...share, opens: share.opens + 1, lastOpenedAt: at }));
    },
    async deleteExpired(beforeSeconds) {
      const deleted = await mapBounded(await bucket.keys('share.'), async (key) => {
        const current = await read(key);
        if (current === undefined || current.value.expiresAt > beforeSeconds) return false;
        // The record first: a creator key without its record is skipped by every read, and goes next.
        await bucket.delete(key, current.revision);
        await bucket.delete(creatorKey(current.value.createdBy, current.value.id));
        return true;
      });
      return deleted.filter(Boolean).length;
    },
  };
}

export function kvAttemptRepository(bucket: KvBucket): AttemptRepository {
  const key = (name: string) => `attempt.${part(name)}`;
  const read = (name: string) => readDoc<AttemptWindow>(bucket, key(name), ['count', 'windowStart']);
  return {
    async current(name, nowMs, windowMs) {
      const window = (await read(name))?.value;
      if (window === undefined || window.windowStart + windowMs <= nowMs)
        return { count: 0, windowStart: nowMs };
      return window;
    },
    fail: (name, nowMs, windowMs) =>
      // Concurrent failures from many replicas bump one record: retried well past a burst.
      withCasRetry(async () => {
        const current = await read(name);
        const ended = current === undefined || current.value.windowStart + windowMs <= nowMs;
        const next: AttemptWindow = ended
          ? { count: 1, windowStart: nowMs }
          : { count: current.value.count + 1, windowStart: current.value.windowStart };
        if (current === undefined) await bucket.create(key(name), next);
        else await bucket.update(key(name), next, current.revision);
        return next;
      }, 4 * CAS_TRIES),
    // The bucket forgets keys by age on its own (ATTEMPT_WINDOW_MAX_MS after their last write).
    async deleteStale() {},
  };
}
