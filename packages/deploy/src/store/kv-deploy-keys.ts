// The deploys bucket's keys and what the deploy repository and its queue both read (layout in kv-store.ts).

import { type KvBucket, type KvEntry, withCasRetry } from '@homeport/core';
import type { DeployRecord, DeployStatus } from '../model.js';
import { CAS_TRIES, deleteQuietly, mapBounded, part, readDoc } from './kv-support.js';

const DEPLOY_FIELDS = ['id', 'stageId', 'seq', 'status', 'steps', 'createdAt'] as const;

export const deployKey = (id: string) => `deploy.${part(id)}`;
export const seqKey = (stageId: string, seq: number) => `seq.${part(stageId)}.${seq}`;
/** A queued or running deploy of the stage (the queue's index: only unfinished work is listed). */
export const activeKey = (stageId: string, seq: number) => `active.${part(stageId)}.${seq}`;
export const activePrefix = (stageId?: string) =>
  stageId === undefined ? 'active.' : `active.${part(stageId)}.`;
/** The stage's running slot: names the one deploy that may run (see kv-queue.ts). */
export const slotKey = (stageId: string) => `slot.${part(stageId)}`;

/** What an active key holds: the deploy, and when it was written (for leftovers of a dead enqueue). */
export interface ActiveDoc {
  id: string;
  atMs: number;
}

export const isActive = (status: DeployStatus) => status === 'queued' || status === 'running';

export const readDeploy = (bucket: KvBucket, id: string): Promise<KvEntry<DeployRecord> | undefined> =>
  readDoc<DeployRecord>(bucket, deployKey(id), DEPLOY_FIELDS);

/** The deploy a stage's seq key names, if both are there. */
export async function deployAt(
  bucket: KvBucket,
  stageId: string,
  seq: number,
): Promise<DeployRecord | undefined> {
  const index = await bucket.get<{ id: string }>(seqKey(stageId, seq));
  return index && (await readDeploy(bucket, index.value.id))?.value;
}

/** The seq of an active key (its last token). */
const seqOfKey = (key: string) => Number(key.slice(key.lastIndexOf('.') + 1));

/**
 * A stage's (or every stage's) active deploys, oldest first by seq within a stage. An active key whose deploy
 * has finished (its writer died before deleting it) is deleted here; one whose deploy is not written yet is
 * skipped (an enqueue between its writes).
 */
export async function activeDeploys(bucket: KvBucket, stageId?: string): Promise<DeployRecord[]> {
  const keys = await bucket.keys(activePrefix(stageId));
  const docs = await mapBounded(keys, async (key) => {
    const index = await bucket.get<ActiveDoc>(key);
    if (index === undefined) return undefined;
    const deploy = (await readDeploy(bucket, index.value.id))?.value;
    if (deploy && !isActive(deploy.status)) {
      await deleteQuietly(bucket, key, index.revision);
      return undefined;
    }
    return deploy;
  });
  return docs
    .filter((deploy): deploy is DeployRecord => deploy !== undefined)
    .sort((a, b) => (a.stageId === b.stageId ? a.seq - b.seq : a.stageId < b.stageId ? -1 : 1));
}

/**
 * Changes a deploy by compare-and-set: `change` gets the current record and returns the next one, or
 * undefined to leave it (what is then returned is `skip`'s answer).
 */
export function changeDeploy(
  bucket: KvBucket,
  id: string,
  change: (current: DeployRecord) => DeployRecord | undefined,
  skip: (current: DeployRecord | undefined) => DeployRecord | undefined = () => undefined,
): Promise<{ record: DeployRecord | undefined; changed: boolean }> {
  return withCasRetry(async () => {
    const entry = await readDeploy(bucket, id);
    const next = entry && change(entry.value);
    if (entry === undefined || next === undefined) return { record: skip(entry?.value), changed: false };
    await bucket.update(deployKey(id), next, entry.revision);
    return { record: next, changed: true };
  }, CAS_TRIES);
}

/** After a deploy finished: its active key goes (the slot is the queue's: kv-queue.ts releaseSlot). */
export async function dropActive(bucket: KvBucket, deploy: DeployRecord): Promise<void> {
  await deleteQuietly(bucket, activeKey(deploy.stageId, deploy.seq));
}

export { seqOfKey };
