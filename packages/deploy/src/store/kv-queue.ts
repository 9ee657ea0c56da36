// The deploy queue on the KV port: one running deploy per stage across replicas, without transactions.
//
// A stage's `slot.<stage>` key names the one deploy that may run. A claim takes the slot with `create`
// (naming the oldest queued deploy) and then moves that deploy from queued to running by compare-and-set.
// Invariant: a deploy becomes running only while the slot names it, and a slot naming a deploy is deleted
// only once that deploy is seen finished (at the slot's revision) — so two deploys of a stage never run at
// once, whoever crashes where.
//
// Recovery: a claim that died after taking the slot leaves it naming a queued deploy. The next claim of the
// stage finishes that claim for it (the deploy becomes running with the slot's runner, the replica that
// claimed: on restart it finds its own running deploys, as after any crash mid-deploy) and answers "busy".
// A finish that died before deleting the slot leaves it naming a finished deploy: the next claim deletes it.

import { isConflict, type KvBucket } from '@homeport/core';
import type { DeployRecord } from '../model.js';
import { activeDeploys, changeDeploy, readDeploy, slotKey } from './kv-deploy-keys.js';
import { CAS_TRIES, deleteQuietly, freshId, readDoc } from './kv-support.js';

interface SlotDoc {
  deployId: string;
  runner: string;
  at: string;
  /** Fresh per claim: tells a claimer its own slot from another claim by the same runner name. */
  claim: string;
}

const readSlot = (bucket: KvBucket, stageId: string) =>
  readDoc<SlotDoc>(bucket, slotKey(stageId), ['deployId', 'runner', 'at', 'claim']);

const toRunning = (deploy: DeployRecord, runner: string, at: string): DeployRecord | undefined =>
  deploy.status === 'queued' ? { ...deploy, status: 'running', runner, startedAt: at } : undefined;

/** Deletes the stage's slot when it names `deployId` (after that deploy finished). */
export async function releaseSlot(bucket: KvBucket, stageId: string, deployId: string): Promise<void> {
  const slot = await readSlot(bucket, stageId);
  if (slot?.value.deployId === deployId) await deleteQuietly(bucket, slotKey(stageId), slot.revision);
}

export async function claimNext(
  bucket: KvBucket,
  stageId: string,
  runner: string,
  now: string,
): Promise<DeployRecord | undefined> {
  for (let attempt = 1; attempt <= CAS_TRIES; attempt++) {
    const slot = await readSlot(bucket, stageId);
    if (slot) {
      const named = (await readDeploy(bucket, slot.value.deployId))?.value;
      if (named?.status === 'running') return undefined;
      if (named?.status === 'queued') {
        // A claim under way, or one whose claimer died: finished on its behalf; the stage is busy either way.
        await changeDeploy(bucket, named.id, (current) =>
          toRunning(current, slot.value.runner, slot.value.at),
        );
        return undefined;
      }
      // The deploy it names finished (or is gone): the slot is a leftover.
      await deleteQuietly(bucket, slotKey(stageId), slot.revision);
      continue;
    }
    const next = (await activeDeploys(bucket, stageId)).find((deploy) => deploy.status === 'queued');
    if (next === undefined) return undefined;
    const mine: SlotDoc = { deployId: next.id, runner, at: now, claim: freshId() };
    try {
      await bucket.create(slotKey(stageId), mine);
    } catch (error) {
      if (isConflict(error)) continue; // another claim took it: look again
      throw error;
    }
    const { record } = await changeDeploy(bucket, next.id, (current) => toRunning(current, runner, now));
    if (record) return record;
    // Not queued any more: cancelled or finished meanwhile, or made running for this very slot by another
    // claim that found it (then it is ours).
    const current = (await readDeploy(bucket, next.id))?.value;
    const slotNow = await readSlot(bucket, stageId);
    if (current?.status === 'running' && slotNow?.value.claim === mine.claim) return current;
    if (slotNow?.value.claim === mine.claim) await deleteQuietly(bucket, slotKey(stageId), slotNow.revision);
  }
  return undefined; // the stage kept changing under us: busy for this round
}

/** Stage ids with a queued deploy, from the active keys only. */
export async function stagesWithQueued(bucket: KvBucket): Promise<string[]> {
  const active = await activeDeploys(bucket);
  return [
    ...new Set(active.filter((deploy) => deploy.status === 'queued').map((deploy) => deploy.stageId)),
  ].sort();
}
