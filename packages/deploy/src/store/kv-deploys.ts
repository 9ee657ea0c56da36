// Deploys on the KV port: `deploy.<id>` documents changed by compare-and-set, `seq.<stage>.<seq>` keys from
// the stage's counter (a stage's history is walked down from it), and `active.<stage>.<seq>` keys for the
// queued and running ones (the queue, supersede and the busy check read only those). The queue's claim is
// in kv-queue.ts.

import type { KvBucket } from '@homeport/core';
import type { DeployRecord, DeployStatus } from '../model.js';
import {
  type ActiveDoc,
  activeDeploys,
  activeKey,
  changeDeploy,
  deployAt,
  deployKey,
  dropActive,
  isActive,
  readDeploy,
  seqKey,
} from './kv-deploy-keys.js';
import { claimNext, releaseSlot, stagesWithQueued } from './kv-queue.js';
import { liveStage } from './kv-stages.js';
import {
  compareText,
  counterKey,
  deleteQuietly,
  lastSeq,
  mapBounded,
  msOf,
  nextSeq,
  part,
} from './kv-support.js';
import type { DeployListQuery, DeployRepository } from './repositories.js';
import { AUTOMATIC_TRIGGERS, checkListQuery, newestFirst, notFound } from './store-checks.js';

const byNewest = newestFirst(compareText);

/**
 * Up to `limit` deploys of a stage with a seq below `beforeSeq`, newest seq first, matching `statuses`.
 * Reads proportional to what it returns, except under a status filter, which reads past the deploys it skips.
 */
async function stageHistory(
  bucket: KvBucket,
  stageId: string,
  limit: number,
  beforeSeq: number | undefined,
  statuses: readonly DeployStatus[] | undefined,
): Promise<DeployRecord[]> {
  const found: DeployRecord[] = [];
  let top = await lastSeq(bucket, counterKey(stageId));
  if (beforeSeq !== undefined) top = Math.min(top, beforeSeq - 1);
  while (top > 0 && found.length < limit) {
    const size = Math.min(top, Math.max(limit - found.length, statuses ? 32 : 1));
    const batch = await mapBounded(
      Array.from({ length: size }, (_, i) => top - i),
      (seq) => deployAt(bucket, stageId, seq),
    );
    for (const deploy of batch)
      if (deploy && (!statuses || statuses.includes(deploy.status)) && found.length < limit)
        found.push(deploy);
    top -= size;
  }
  return found;
}

export function kvDeployRepository(
  bucket: KvBucket,
  stages: KvBucket,
  projectStages: (projectId?: string) => Promise<string[]>,
): DeployRepository {
  const list = async (query: DeployListQuery): Promise<DeployRecord[]> => {
    checkListQuery(query);
    if (query.limit === 0) return [];
    const { statuses } = query;
    // Only unfinished work asked for: the active keys, not the history.
    if (statuses?.every(isActive)) {
      const wanted = new Set<DeployStatus>(statuses);
      const active = await activeDeploys(bucket, query.stageId);
      return active
        .filter(
          (deploy) =>
            wanted.has(deploy.status) &&
            (query.projectId === undefined || deploy.projectId === query.projectId) &&
            (query.beforeSeq === undefined || deploy.seq < query.beforeSeq),
        )
        .sort(byNewest)
        .slice(0, query.limit);
    }
    const stageIds = query.stageId !== undefined ? [query.stageId] : await projectStages(query.projectId);
    // Each stage's newest `limit`, merged: a project's (or everyone's) history reads stages × limit at most.
    const histories = await mapBounded(stageIds, (stageId) =>
      stageHistory(bucket, stageId, query.limit, query.beforeSeq, statuses),
    );
    return histories
      .flat()
      .filter((deploy) => query.projectId === undefined || deploy.projectId === query.projectId)
      .sort(byNewest)
      .slice(0, query.limit);
  };

  return {
    async enqueue(input, now, options) {
      const stage = await liveStage(stages, input.stageId);
      if (stage?.projectId !== input.projectId)
        throw notFound('stage', `${input.projectId}/${input.stageId}`);
      const seq = await nextSeq(bucket, counterKey(input.stageId));
      const deploy: DeployRecord = {
        ...input,
        seq,
        status: 'queued',
        steps: [],
        error: null,
        color: null,
        runner: null,
        cancelRequested: false,
        createdAt: now,
        startedAt: null,
        endedAt: null,
      };
      // The active key first: a queued deploy is never missing from the queue (a key without its deploy is
      // skipped by readers).
      await bucket.create<ActiveDoc>(activeKey(deploy.stageId, seq), { id: deploy.id, atMs: msOf(now) });
      await bucket.create(deployKey(deploy.id), deploy);
      await bucket.create(seqKey(deploy.stageId, seq), { id: deploy.id });
      // A stage removal that marked the stage after our check did not see this deploy: it takes itself back.
      if (!(await liveStage(stages, input.stageId))) {
        await removeDeploy(bucket, deploy);
        throw notFound('stage', input.stageId);
      }
      const superseded: DeployRecord[] = [];
      if (options.supersedeAutomatic) {
        const queued = (await activeDeploys(bucket, deploy.stageId)).filter(
          (other) =>
            other.seq < seq && other.status === 'queued' && AUTOMATIC_TRIGGERS.includes(other.trigger),
        );
        // Not one write with the enqueue as on SQLite: a claim in between runs one of them instead.
        for (const other of queued) {
          const { record, changed } = await changeDeploy(bucket, other.id, (current) =>
            current.status === 'queued' ? { ...current, status: 'superseded', endedAt: now } : undefined,
          );
          if (record && changed) {
            await dropActive(bucket, record);
            superseded.push(record);
          }
        }
      }
      return { deploy, superseded };
    },

    async get(id) {
      return (await readDeploy(bucket, id))?.value;
    },

    list,

    claimNext: (stageId, runner, now) => claimNext(bucket, stageId, runner, now),

    stagesWithQueued: () => stagesWithQueued(bucket),

    async progress(id, progress) {
      const { record } = await changeDeploy(bucket, id, (current) =>
        current.status === 'running'
          ? {
              ...current,
              digest: progress.digest ?? current.digest,
              releaseId: progress.releaseId ?? current.releaseId,
              color: progress.color ?? current.color,
              steps: progress.steps ?? current.steps,
            }
          : undefined,
      );
      return record;
    },

    async finish(id, status, error, now) {
      const { record } = await changeDeploy(bucket, id, (current) =>
        current.status === 'queued' || current.status === 'running'
          ? { ...current, status, error, endedAt: now }
          : undefined,
      );
      if (record) {
        await dropActive(bucket, record);
        await releaseSlot(bucket, record.stageId, record.id);
      }
      return record;
    },

    async requestCancel(id, now) {
      const { record, changed } = await changeDeploy(
        bucket,
        id,
        (current) =>
          current.status === 'queued'
            ? { ...current, status: 'cancelled', endedAt: now }
            : current.status === 'running' && !current.cancelRequested
              ? { ...current, cancelRequested: true }
              : undefined,
        (current) => current,
      );
      if (record && changed && record.status === 'cancelled') await dropActive(bucket, record);
      return record;
    },
  };
}

async function removeDeploy(bucket: KvBucket, deploy: DeployRecord): Promise<void> {
  await deleteQuietly(bucket, seqKey(deploy.stageId, deploy.seq));
  await deleteQuietly(bucket, deployKey(deploy.id));
  await deleteQuietly(bucket, activeKey(deploy.stageId, deploy.seq));
}

/** Whether a deploy of the stage is queued or running. */
export async function hasActiveDeploys(bucket: KvBucket, stageId: string): Promise<boolean> {
  return (await activeDeploys(bucket, stageId)).length > 0;
}

/** Removes a stage's deploys (calling `each` first for each, e.g. to remove its log) and its keys. */
export async function removeStageDeploys(
  bucket: KvBucket,
  stageId: string,
  each: (deploy: DeployRecord) => Promise<void>,
): Promise<void> {
  const seqKeys = await bucket.keys(`seq.${part(stageId)}.`);
  await mapBounded(seqKeys, async (key) => {
    const index = await bucket.get<{ id: string }>(key);
    const deploy = index && (await readDeploy(bucket, index.value.id))?.value;
    if (deploy) {
      await each(deploy);
      await removeDeploy(bucket, deploy);
    }
    await deleteQuietly(bucket, key);
  });
  for (const key of await bucket.keys(`active.${part(stageId)}.`)) await deleteQuietly(bucket, key);
  await deleteQuietly(bucket, `slot.${part(stageId)}`);
  await deleteQuietly(bucket, counterKey(stageId));
}
