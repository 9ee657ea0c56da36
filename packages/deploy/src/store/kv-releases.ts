// Releases on the KV port: `release.<id>` documents, `seq.<stage>.<seq>` keys (made with `create`, so a seq
// names one release) from the stage's `counter.<stage>`, and `digest.<stage>.<digest>.<revision>` keys for
// `find`. A listing walks the seq keys down from the counter: reads proportional to what it returns.

import { type KvBucket, withCasRetry } from '@homeport/core';
import type { ReleaseRecord } from '../model.js';
import { liveStage } from './kv-stages.js';
import {
  CAS_TRIES,
  counterKey,
  deleteAll,
  deleteQuietly,
  lastSeq,
  mapBounded,
  nextSeq,
  part,
  readDoc,
} from './kv-support.js';
import type { ReleaseRepository } from './repositories.js';
import { notFound } from './store-checks.js';

const RELEASE_FIELDS = ['id', 'stageId', 'seq', 'digest', 'config', 'succeededAt'] as const;
export const releaseKey = (id: string) => `release.${part(id)}`;
const seqKey = (stageId: string, seq: number) => `seq.${part(stageId)}.${seq}`;
const digestKey = (stageId: string, digest: string, revision: number) =>
  `digest.${part(stageId)}.${part(digest)}.${revision}`;

const readRelease = (bucket: KvBucket, id: string) =>
  readDoc<ReleaseRecord>(bucket, releaseKey(id), RELEASE_FIELDS);

/** The release a seq key names, if both are there. */
async function releaseAt(bucket: KvBucket, stageId: string, seq: number): Promise<ReleaseRecord | undefined> {
  const index = await bucket.get<{ id: string }>(seqKey(stageId, seq));
  return index && (await readRelease(bucket, index.value.id))?.value;
}

export function kvReleaseRepository(bucket: KvBucket, stages: KvBucket): ReleaseRepository {
  return {
    async create(input, now) {
      if (!(await liveStage(stages, input.stageId))) throw notFound('stage', input.stageId);
      const seq = await nextSeq(bucket, counterKey(input.stageId));
      const record: ReleaseRecord = { ...input, seq, createdAt: now, succeededAt: null };
      await bucket.create(releaseKey(record.id), record);
      await bucket.create(seqKey(record.stageId, seq), { id: record.id });
      await bucket.put(digestKey(record.stageId, record.digest, record.configRevision), { id: record.id });
      // A stage removed meanwhile (its removal listed this stage's keys before these were written).
      if (!(await liveStage(stages, input.stageId))) {
        await removeRelease(bucket, record);
        throw notFound('stage', input.stageId);
      }
      return record;
    },

    async get(id) {
      return (await readRelease(bucket, id))?.value;
    },

    async find(stageId, digest, configRevision) {
      const index = await bucket.get<{ id: string }>(digestKey(stageId, digest, configRevision));
      const release = index && (await readRelease(bucket, index.value.id))?.value;
      return release?.stageId === stageId &&
        release.digest === digest &&
        release.configRevision === configRevision
        ? release
        : undefined;
    },

    async list(stageId, limit) {
      const found: ReleaseRecord[] = [];
      // Seqs from the newest down, a batch at a time; a gap (a writer died after its reservation) is skipped.
      for (let top = await lastSeq(bucket, counterKey(stageId)); top > 0 && found.length < limit; ) {
        const seqs = Array.from({ length: Math.min(top, limit - found.length) }, (_, i) => top - i);
        const batch = await mapBounded(seqs, (seq) => releaseAt(bucket, stageId, seq));
        for (const release of batch) if (release) found.push(release);
        top -= seqs.length;
      }
      return found;
    },

    markSucceeded: (id, now) =>
      withCasRetry(async () => {
        const entry = await readRelease(bucket, id);
        if (entry === undefined) return undefined;
        if (entry.value.succeededAt !== null) return entry.value;
        const record = { ...entry.value, succeededAt: now };
        await bucket.update(releaseKey(id), record, entry.revision);
        return record;
      }, CAS_TRIES),
  };
}

async function removeRelease(bucket: KvBucket, release: ReleaseRecord): Promise<void> {
  await deleteQuietly(bucket, digestKey(release.stageId, release.digest, release.configRevision));
  await deleteQuietly(bucket, seqKey(release.stageId, release.seq));
  await deleteQuietly(bucket, releaseKey(release.id));
}

/** Removes a stage's releases (calling `each` first for each, e.g. to remove its logs) and its counter. */
export async function removeStageReleases(
  bucket: KvBucket,
  stageId: string,
  each: (release: ReleaseRecord) => Promise<void>,
): Promise<void> {
  const seqKeys = await bucket.keys(`seq.${part(stageId)}.`);
  await mapBounded(seqKeys, async (key) => {
    const index = await bucket.get<{ id: string }>(key);
    const release = index && (await readRelease(bucket, index.value.id))?.value;
    if (release) {
      await each(release);
      await removeRelease(bucket, release);
    }
    await deleteQuietly(bucket, key);
  });
  await deleteAll(bucket, await bucket.keys(`digest.${part(stageId)}.`));
  await deleteQuietly(bucket, counterKey(stageId));
}
