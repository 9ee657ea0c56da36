// API tokens on JetStream KV, laid out like sessions: the record under its token hash (one read per
// request), an id index and a per-user index; written index-first, deleted record-first.

import { isConflict, type KvBucket, StoreError } from '@homeport/core';
import { keys, tokensAfter } from './kv-keys.js';
import { isToken, isTokenIndex, type TokenIndex } from './kv-shapes.js';
import { byFields, deleteRecord, mapLimit, read, updateRecord } from './kv-support.js';
import type { ApiTokenRecord, ApiTokenRepository } from './repositories.js';

interface TokenRef {
  id: string;
  tokenHash: string;
  userId: string;
}

const newestFirst = byFields<ApiTokenRecord>(
  (token) => token.createdAt,
  (token) => token.id,
  -1,
);

export function createKvTokenRepository(bucket: KvBucket): ApiTokenRepository {
  const record = async (tokenHash: string) => (await read(bucket, keys.token(tokenHash), isToken))?.value;
  const index = async (tokenId: string) => (await read(bucket, keys.tokenId(tokenId), isTokenIndex))?.value;
  const refOf = (id: string, entry: TokenIndex): TokenRef => ({ id, ...entry });

  /** The record first (the token stops working there), the id index last so a retry finds the rest. */
  const remove = async (ref: TokenRef): Promise<boolean> => {
    const removed = await deleteRecord(bucket, keys.token(ref.tokenHash), isToken, (t) => t.id === ref.id);
    await bucket.delete(keys.tokenOfUser(ref.userId, ref.id, ref.tokenHash));
    await bucket.delete(keys.tokenId(ref.id));
    return removed;
  };

  const refsOfUser = async (userId: string): Promise<TokenRef[]> => {
    const prefix = keys.tokensOfUser(userId);
    return (await bucket.keys(prefix)).flatMap((key) => {
      const [id, tokenHash] = tokensAfter(key, prefix);
      return id === undefined || tokenHash === undefined ? [] : [{ id, tokenHash, userId }];
    });
  };

  return {
    async create(token) {
      const conflict = (cause: unknown) =>
        new StoreError('store_conflict', `API token ${token.id} exists already`, { cause });
      let indexed: number;
      try {
        indexed = await bucket.create(keys.tokenId(token.id), {
          tokenHash: token.tokenHash,
          userId: token.userId,
        });
      } catch (error) {
        throw isConflict(error) ? conflict(error) : error;
      }
      const byUser = keys.tokenOfUser(token.userId, token.id, token.tokenHash);
      await bucket.put(byUser, {});
      try {
        await bucket.create(keys.token(token.tokenHash), token);
      } catch (error) {
        // Unavailable: the index entries stay (they read as nothing); deleting the user's tokens clears them.
        if (!isConflict(error)) throw error;
        await bucket.delete(byUser);
        await bucket.delete(keys.tokenId(token.id), indexed);
        throw conflict(error);
      }
    },
    byTokenHash: record,
    async byId(tokenId) {
      const entry = await index(tokenId);
      const token = entry && (await record(entry.tokenHash));
      return token?.id === tokenId ? token : undefined;
    },
    async listForUser(userId) {
      const tokens = await mapLimit(await refsOfUser(userId), async (ref) => {
        const token = await record(ref.tokenHash);
        return token?.id === ref.id && token.userId === userId ? token : undefined;
      });
      return tokens.filter((token) => token !== undefined).sort(newestFirst);
    },
    async deleteForUser(userId, tokenId) {
      const entry = await index(tokenId);
      if (entry?.userId !== userId) return false;
      return remove(refOf(tokenId, entry));
    },
    async deleteAllForUser(userId) {
      const removed = await mapLimit(await refsOfUser(userId), remove);
      return removed.filter(Boolean).length;
    },
    async touch(tokenId, lastUsedAt) {
      const entry = await index(tokenId);
      if (!entry) return;
      await updateRecord(
        bucket,
        keys.token(entry.tokenHash),
        isToken,
        (token) => ({ ...token, lastUsedAt }),
        (token) => token.id === tokenId,
      );
    },
  };
}
