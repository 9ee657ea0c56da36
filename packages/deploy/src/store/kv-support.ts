// What the deploy repositories on the KV port share: key tokens, bounded reads, the compare-and-set budget,
// unique index keys made with `create`, and per-stage seq counters.

import { isConflict, type KvBucket, kvKeyPart, withCasRetry } from '@homeport/core';

export {
  compareText,
  deleteKvKeys as deleteAll,
  freshKvId as freshId,
  kvKeyPart as part,
  lastKeyToken as lastToken,
  mapBounded,
  readKvDoc as readDoc,
} from '@homeport/core';

/**
 * Compare-and-set attempts before a conflict reaches the caller. Each lost attempt means another writer won,
 * so this bounds how many replicas may write one document at once (claims, appends to one log).
 */
export const CAS_TRIES = 16;

/**
 * How long an index key whose record does not (yet) claim it is left alone: a writer between `create` of the
 * index and the write of its record. Past it, the key is a leftover of a writer that died, and is taken over.
 */
export const INDEX_GRACE_MS = 30_000;

/** What a unique index key holds: the record it names, and when it was taken. */
export interface IndexDoc {
  id: string;
  atMs: number;
}

/**
 * Takes the unique index key `key` for record `id` with `create`. When another record holds it, `holds(id)`
 * says whether that record really uses it: a key whose record does not, older than INDEX_GRACE_MS, is a
 * leftover (a writer died between its two writes, or a removal was cut short) and is taken over at its
 * revision. Returns false when the key is someone else's.
 */
export async function takeIndex(
  bucket: KvBucket,
  key: string,
  id: string,
  nowMs: number,
  holds: (holder: string) => Promise<boolean>,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bucket.create<IndexDoc>(key, { id, atMs: nowMs });
      return true;
    } catch (error) {
      if (!isConflict(error) || attempt >= CAS_TRIES) throw error;
    }
    const entry = await bucket.get<IndexDoc>(key);
    if (entry === undefined) continue; // released meanwhile
    if (entry.value.id === id) return true; // a retry of our own write whose answer was lost
    if (await holds(entry.value.id)) return false;
    if (nowMs - entry.value.atMs < INDEX_GRACE_MS) return false; // its writer may be between its writes
    try {
      await bucket.delete(key, entry.revision);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/** Whether the index key still names `id` (checked after the record is written). */
export async function holdsIndex(bucket: KvBucket, key: string, id: string): Promise<boolean> {
  return (await bucket.get<IndexDoc>(key))?.value.id === id;
}

/** Deletes the index key when it names `id` (at the revision read: a new holder's key stays). */
export async function releaseIndex(bucket: KvBucket, key: string, id: string): Promise<void> {
  const entry = await bucket.get<IndexDoc>(key);
  if (entry?.value.id !== id) return;
  try {
    await bucket.delete(key, entry.revision);
  } catch (error) {
    // Taken over meanwhile: it is not ours to delete any more.
    if (!isConflict(error)) throw error;
  }
}

/** A stage's counter key (releases and deploys each have their own bucket, so the same name). */
export const counterKey = (stageId: string) => `counter.${kvKeyPart(stageId)}`;

/** Reserves the next seq of a counter: 1 for the first. A reservation whose writer dies leaves a gap. */
export function nextSeq(bucket: KvBucket, key: string): Promise<number> {
  return withCasRetry(async () => {
    const entry = await bucket.get<{ seq: number }>(key);
    const seq = (entry?.value.seq ?? 0) + 1;
    if (entry === undefined) await bucket.create(key, { seq });
    else await bucket.update(key, { seq }, entry.revision);
    return seq;
  }, CAS_TRIES);
}

/** The last seq a counter handed out (0 when none). */
export async function lastSeq(bucket: KvBucket, key: string): Promise<number> {
  return (await bucket.get<{ seq: number }>(key))?.value.seq ?? 0;
}

/** Deletes a key, ignoring a concurrent change of it (clean-ups whose keys are not read any more). */
export async function deleteQuietly(bucket: KvBucket, key: string, revision?: number): Promise<void> {
  try {
    await bucket.delete(key, revision);
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

export const msOf = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`deploy store: "${iso}" is not an ISO time`);
  return ms;
};
