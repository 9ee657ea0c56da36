// The grant repository on the KV port: `grant.<export>.<user>` records (at most one per pair, so an
// export's grants list by prefix) and `user.<user>.<export>` keys that list a user's.

import { type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, lastToken, mapBounded, part, readDoc } from './kv-support.js';
import type { GrantRecord, GrantRepository } from './repositories.js';
import { exportMissing } from './store-errors.js';

const grantKey = (exportId: string, userId: string) => `grant.${part(exportId)}.${part(userId)}`;
const userKey = (userId: string, exportId: string) => `user.${part(userId)}.${part(exportId)}`;
const GRANT_FIELDS = ['exportId', 'userId', 'access', 'createdAt'] as const;

const readGrant = (bucket: KvBucket, key: string) => readDoc<GrantRecord>(bucket, key, GRANT_FIELDS);

const oldestFirst = (by: 'userId' | 'exportId') => (a: GrantRecord, b: GrantRecord) =>
  compareText(a.createdAt, b.createdAt) || compareText(a[by], b[by]);

/** The cascade of an export's removal: every grant on it, and the user keys naming them. */
export async function deleteGrantsOf(bucket: KvBucket, exportId: string): Promise<void> {
  await mapBounded(await bucket.keys(`grant.${part(exportId)}.`), async (key) => {
    const grant = await readGrant(bucket, key);
    if (grant === undefined) return;
    // Unconditionally: the export is gone, and a grant written meanwhile takes itself back (see put).
    await bucket.delete(key);
    await bucket.delete(userKey(grant.value.userId, exportId));
  });
}

export interface KvGrantOptions {
  /** Whether an export exists now (a grant needs one, as SQL's foreign key said). */
  exportExists: (exportId: string) => Promise<boolean>;
}

export function kvGrantRepository(bucket: KvBucket, options: KvGrantOptions): GrantRepository {
  /**
   * Removes one grant, true when this call did. The user key goes after it, and is put back when a
   * concurrent `put` wrote the grant again meanwhile: a grant is never left without its user key.
   */
  const remove = async (exportId: string, userId: string): Promise<boolean> => {
    const removed = await withCasRetry(async () => {
      const current = await readGrant(bucket, grantKey(exportId, userId));
      if (current === undefined) return false;
      await bucket.delete(grantKey(exportId, userId), current.revision);
      return true;
    }, CAS_TRIES);
    await bucket.delete(userKey(userId, exportId));
    if ((await readGrant(bucket, grantKey(exportId, userId))) !== undefined)
      await bucket.put(userKey(userId, exportId), {});
    return removed;
  };

  return {
    async listForExport(exportId) {
      const keys = await bucket.keys(`grant.${part(exportId)}.`);
      const grants = await mapBounded(keys, async (key) => (await readGrant(bucket, key))?.value);
      return grants.filter((grant) => grant !== undefined).sort(oldestFirst('userId'));
    },

    async listForUser(userId) {
      const keys = await bucket.keys(`user.${part(userId)}.`);
      const grants = await mapBounded(keys, async (key) => {
        // A user key left by an interrupted removal names no grant: skipped.
        const grant = await readGrant(bucket, `grant.${lastToken(key)}.${part(userId)}`);
        return grant?.value;
      });
      return grants.filter((grant) => grant !== undefined).sort(oldestFirst('exportId'));
    },

    async find(exportId, userId) {
      return (await readGrant(bucket, grantKey(exportId, userId)))?.value;
    },

    async put(grant) {
      const { exportId, userId } = grant;
      if (!(await options.exportExists(exportId))) throw exportMissing(exportId);
      // The user key first, so a stored grant always has one (and again after, should a removal have raced).
      await bucket.put(userKey(userId, exportId), {});
      await withCasRetry(async () => {
        const current = await readGrant(bucket, grantKey(exportId, userId));
        if (current === undefined) await bucket.create(grantKey(exportId, userId), grant);
        else if (current.value.access !== grant.access)
          await bucket.update(
            grantKey(exportId, userId),
            { ...current.value, access: grant.access },
            current.revision,
          );
      }, CAS_TRIES);
      if ((await bucket.get(userKey(userId, exportId))) === undefined)
        await bucket.put(userKey(userId, exportId), {});
      // The export's removal may have listed its grants before this one was written: take it back.
      if (!(await options.exportExists(exportId))) {
        await remove(exportId, userId);
        throw exportMissing(exportId);
      }
    },

    remove,
  };
}
