// Building blocks of the KV accounts store: typed reads that fail closed on a malformed record, uniqueness
// claims that survive a crashed create, delete-at-revision, bounded fan-out and SQLite's orderings.

import { isConflict, type KvBucket, type KvEntry, StoreError, withCasRetry } from '@homeport/core';
import { ABANDONED, type Abandoned, isAbandoned, isClaim } from './kv-shapes.js';

/** Compare-and-set attempts before a write gives up with store_conflict (each lost round means another won). */
export const CAS_TRIES = 32;

/** At most this many reads in flight for one listing. */
const FAN_OUT = 16;

export const retryCas = <T>(attempt: () => Promise<T>): Promise<T> => withCasRetry(attempt, CAS_TRIES);

const malformed = (bucket: KvBucket, key: string) =>
  new StoreError('store_unavailable', `unreadable record ${key} in ${bucket.name}`);

/** The entry at `key` when it has the shape `guard` checks; absent as undefined; any other shape throws. */
export async function read<T>(
  bucket: KvBucket,
  key: string,
  guard: (value: unknown) => value is T,
): Promise<KvEntry<T> | undefined> {
  const entry = await bucket.get<unknown>(key);
  if (entry === undefined) return undefined;
  if (!guard(entry.value)) throw malformed(bucket, key);
  return { value: entry.value, revision: entry.revision };
}

/** Like read, for record keys a claim may have marked abandoned (those read as absent). */
export async function readClaimable<T>(
  bucket: KvBucket,
  key: string,
  guard: (value: unknown) => value is T,
): Promise<KvEntry<T> | undefined> {
  const entry = await read(
    bucket,
    key,
    (value): value is T | Abandoned => guard(value) || isAbandoned(value),
  );
  return entry === undefined || isAbandoned(entry.value) ? undefined : (entry as KvEntry<T>); // not abandoned
}

/** Deletes `key` only at `revision`; false when it changed or went meanwhile. */
export async function deleteAt(bucket: KvBucket, key: string, revision: number): Promise<boolean> {
  try {
    await bucket.delete(key, revision);
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/**
 * Deletes the record at `key` if `belongs` holds for it, at the revision read (re-reading when a concurrent
 * write moved it). True only for the caller whose delete removed it: of two concurrent deleters, one.
 */
export async function deleteRecord<T>(
  bucket: KvBucket,
  key: string,
  guard: (value: unknown) => value is T,
  belongs: (value: T) => boolean,
): Promise<boolean> {
  return retryCas(async () => {
    const entry = await readClaimable(bucket, key, guard);
    if (entry === undefined || !belongs(entry.value)) return false;
    await bucket.delete(key, entry.revision);
    return true;
  });
}

/**
 * Rewrites the record at `key` with `change` as a compare-and-set, retried while others write it; undefined
 * (and nothing written) when it is absent or `belongs` fails, so a deleted record is never brought back.
 */
export async function updateRecord<T>(
  bucket: KvBucket,
  key: string,
  guard: (value: unknown) => value is T,
  change: (value: T) => T,
  belongs: (value: T) => boolean = () => true,
): Promise<T | undefined> {
  return retryCas(async () => {
    const entry = await readClaimable(bucket, key, guard);
    if (entry === undefined || !belongs(entry.value)) return undefined;
    const next = change(entry.value);
    await bucket.update(key, next, entry.revision);
    return next;
  });
}

/**
 * Takes the uniqueness claim at `claimKey` for `owner`, whose record will be created at `recordKey(owner)`.
 * Returns the claim's revision, or undefined when another live record holds it.
 *
 * A claim whose holder's record does not exist is either a create in progress or one that crashed between
 * its two writes. Either way the holder's record key is first marked abandoned with `create` — so that
 * create can no longer land (it fails, and its caller reports the name taken) — and the claim is then taken
 * over at the revision read. No clocks: of any number of racing creators at most one ends up with both the
 * claim and its record.
 */
export async function claim(
  bucket: KvBucket,
  claimKey: string,
  owner: string,
  recordKey: (owner: string) => string,
  holds: (record: unknown) => boolean,
): Promise<number | undefined> {
  for (let round = 0; round < 5; round += 1) {
    try {
      return await bucket.create(claimKey, { owner });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const held = await read(bucket, claimKey, isClaim);
    if (held === undefined) continue; // released meanwhile: create again
    if (held.value.owner === owner) return held.revision; // a retry of a create that claimed, then failed
    if (await holderLives(bucket, recordKey(held.value.owner), holds)) return undefined;
    try {
      return await bucket.update(claimKey, { owner }, held.revision);
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  return undefined;
}

/** Whether the record at `key` holds the claim; if it is absent, marks it abandoned so it never will. */
async function holderLives(
  bucket: KvBucket,
  key: string,
  holds: (record: unknown) => boolean,
): Promise<boolean> {
  for (let round = 0; round < 3; round += 1) {
    const entry = await bucket.get<unknown>(key);
    if (entry !== undefined) return !isAbandoned(entry.value) && holds(entry.value);
    try {
      await bucket.create(key, ABANDONED);
      return false;
    } catch (error) {
      // The holder's create landed first: look again.
      if (!isConflict(error)) throw error;
    }
  }
  return true;
}

/**
 * After the record create of a claim holder failed with a conflict: whether the record key was marked
 * abandoned by a claim takeover ('lost': the name went to another create), holds the claim itself ('holds':
 * the same id and name exist already, the claim stays), or holds something else ('other': release the claim).
 */
export async function afterLostCreate(
  bucket: KvBucket,
  key: string,
  holds: (record: unknown) => boolean,
): Promise<'lost' | 'holds' | 'other'> {
  const entry = await bucket.get<unknown>(key);
  if (entry !== undefined && isAbandoned(entry.value)) return 'lost';
  return entry !== undefined && holds(entry.value) ? 'holds' : 'other';
}

/** `work` over `items` with at most FAN_OUT in flight; results in the order of `items`. */
export async function mapLimit<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T); // index < items.length
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAN_OUT, items.length) }, lane));
  return results;
}

/** SQLite's BINARY collation: byte order of the UTF-8 text. */
export const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** ORDER BY first, then second (both ASCII here: ISO times and generated ids). */
export const byFields =
  <T>(first: (value: T) => string, second: (value: T) => string, direction: 1 | -1) =>
  (a: T, b: T): number =>
    direction * (byBytes(first(a), first(b)) || byBytes(second(a), second(b)));
