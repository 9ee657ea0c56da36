// Stages and live state on the KV port: `stage.<id>` documents; unique index keys `name.<project>.<name>` and
// `host.<host>` taken with `create` before the document is written (or changed) and confirmed after; a
// project's `project.<project>.<id>` keys list its stages. Removal marks the document, checks for work,
// then removes what the stage owns and its document last, so a removal cut short is finished by the next.

import { isConflict, type KvBucket, type KvEntry, withCasRetry } from '@homeport/core';
import type { StageConfig, StageLive, StageRecord } from '../model.js';
import { liveProject } from './kv-projects.js';
import {
  CAS_TRIES,
  compareText,
  deleteQuietly,
  holdsIndex,
  lastToken,
  mapBounded,
  msOf,
  part,
  readDoc,
  releaseIndex,
  takeIndex,
} from './kv-support.js';
import type { LiveRepository, StageRepository } from './repositories.js';
import { hostKey, hostTaken, notFound, revisionConflict, stageBusy, stageExists } from './store-checks.js';

export interface StageDoc {
  record: StageRecord;
  /** Set by `remove` before it checks for deploys: the stage is gone from then on. */
  removing?: true;
}

const stageKey = (id: string) => `stage.${part(id)}`;
const nameKey = (projectId: string, name: string) => `name.${part(projectId)}.${part(name)}`;
const hostIndexKey = (host: string) => `host.${part(host)}`;
const memberKey = (projectId: string, stageId: string) => `project.${part(projectId)}.${part(stageId)}`;
const memberPrefix = (projectId: string) => `project.${part(projectId)}.`;

const readStage = (bucket: KvBucket, id: string): Promise<KvEntry<StageDoc> | undefined> =>
  readDoc<StageDoc>(bucket, stageKey(id), ['record']);

/** The stage while it exists (not being removed). */
export async function liveStage(bucket: KvBucket, id: string): Promise<StageRecord | undefined> {
  const entry = await readStage(bucket, id);
  return entry && !entry.value.removing ? entry.value.record : undefined;
}

/** Whether a project has a stage (a membership key whose stage exists). */
export async function projectHasStages(bucket: KvBucket, projectId: string): Promise<boolean> {
  const keys = await bucket.keys(memberPrefix(projectId));
  const found = await mapBounded(keys, (key) =>
    readDoc<StageDoc>(bucket, `stage.${lastToken(key)}`, ['record']),
  );
  return found.some((entry) => entry !== undefined && !entry.value.removing);
}

/** What a stage's removal needs from the other repositories. */
export interface StageRemovalPorts {
  /** Whether a deploy of the stage is queued or running. */
  hasActiveDeploys(stageId: string): Promise<boolean>;
  /** Removes the stage's live state, releases, deploys and their logs. */
  removeOwned(stageId: string): Promise<void>;
}

export function kvStageRepository(
  bucket: KvBucket,
  projects: KvBucket,
  ports: StageRemovalPorts,
): StageRepository {
  const holdsName = (projectId: string, name: string) => async (holder: string) => {
    const stage = await liveStage(bucket, holder);
    return stage?.projectId === projectId && stage.name === name;
  };
  const holdsHost = (host: string) => async (holder: string) =>
    hostKey((await liveStage(bucket, holder))?.config.host ?? null) === host;

  /** Marks a stage's removal (or finds one cut short); undefined when unknown. */
  const mark = (id: string) =>
    withCasRetry(async () => {
      const entry = await readStage(bucket, id);
      if (entry === undefined) return undefined;
      if (entry.value.removing) return entry;
      const doc: StageDoc = { ...entry.value, removing: true };
      return { value: doc, revision: await bucket.update(stageKey(id), doc, entry.revision) };
    }, CAS_TRIES);

  const unmark = (id: string) =>
    withCasRetry(async () => {
      const entry = await readStage(bucket, id);
      if (entry?.value.removing)
        await bucket.update<StageDoc>(stageKey(id), { record: entry.value.record }, entry.revision);
    }, CAS_TRIES);

  /** Everything of a created (or half-created) stage but its owned data: indexes, then the document. */
  const dropStage = async (record: StageRecord, revision?: number) => {
    await releaseIndex(bucket, nameKey(record.projectId, record.name), record.id);
    const host = hostKey(record.config.host);
    if (host !== null) await releaseIndex(bucket, hostIndexKey(host), record.id);
    await deleteQuietly(bucket, memberKey(record.projectId, record.id));
    await deleteQuietly(bucket, stageKey(record.id), revision);
  };

  return {
    async create(input, now) {
      const nowMs = msOf(now);
      const record: StageRecord = { ...input, configRevision: 1, createdAt: now, updatedAt: now };
      if (!(await liveProject(projects, record.projectId))) throw notFound('project', record.projectId);
      const name = nameKey(record.projectId, record.name);
      if (!(await takeIndex(bucket, name, record.id, nowMs, holdsName(record.projectId, record.name))))
        throw stageExists(record.name);
      const host = hostKey(record.config.host);
      if (
        host !== null &&
        !(await takeIndex(bucket, hostIndexKey(host), record.id, nowMs, holdsHost(host)))
      ) {
        await releaseIndex(bucket, name, record.id);
        throw hostTaken(host);
      }
      await bucket.put(memberKey(record.projectId, record.id), {});
      try {
        await bucket.create<StageDoc>(stageKey(record.id), { record });
      } catch (error) {
        if (!isConflict(error)) throw error;
        await releaseIndex(bucket, name, record.id);
        if (host !== null) await releaseIndex(bucket, hostIndexKey(host), record.id);
        throw stageExists(record.name); // the id is taken (callers make fresh ones)
      }
      // The project's removal marks it before looking for stages: one that began meanwhile misses this
      // stage only if it marked first, and then the stage takes itself back here.
      const failure = !(await liveProject(projects, record.projectId))
        ? notFound('project', record.projectId)
        : !(await holdsIndex(bucket, name, record.id))
          ? stageExists(record.name)
          : host !== null && !(await holdsIndex(bucket, hostIndexKey(host), record.id))
            ? hostTaken(host)
            : undefined;
      if (failure) {
        await dropStage(record);
        throw failure;
      }
      return record;
    },

    get: (id) => liveStage(bucket, id),

    async getByName(projectId, name) {
      const index = await bucket.get<{ id: string }>(nameKey(projectId, name));
      const stage = index && (await liveStage(bucket, index.value.id));
      return stage?.projectId === projectId && stage.name === name ? stage : undefined;
    },

    async findByHost(host) {
      const wanted = host.toLowerCase();
      const index = await bucket.get<{ id: string }>(hostIndexKey(wanted));
      const stage = index && (await liveStage(bucket, index.value.id));
      return stage && hostKey(stage.config.host) === wanted ? stage : undefined;
    },

    async list(projectId) {
      // A project's stages from its membership keys; every stage from the documents.
      const keys =
        projectId === undefined
          ? await bucket.keys('stage.')
          : (await bucket.keys(memberPrefix(projectId))).map((key) => `stage.${lastToken(key)}`);
      const docs = await mapBounded(keys, (key) => readDoc<StageDoc>(bucket, key, ['record']));
      return docs
        .filter((entry) => entry !== undefined && !entry.value.removing)
        .map((entry) => (entry as KvEntry<StageDoc>).value.record) // filtered above
        .filter((stage) => projectId === undefined || stage.projectId === projectId)
        .sort((a, b) => compareText(a.projectId, b.projectId) || compareText(a.name, b.name));
    },

    async updateConfig(id, config: StageConfig, expectedRevision, now) {
      const first = await readStage(bucket, id);
      if (first === undefined || first.value.removing) return undefined;
      const host = hostKey(config.host);
      const oldHost = hostKey(first.value.record.config.host);
      const taking = host !== null && host !== oldHost;
      if (first.value.record.configRevision !== expectedRevision)
        throw revisionConflict(id, expectedRevision, first.value.record.configRevision);
      if (taking && !(await takeIndex(bucket, hostIndexKey(host), id, msOf(now), holdsHost(host))))
        throw hostTaken(host);
      let updated: StageRecord | undefined;
      try {
        updated = await withCasRetry(async () => {
          const entry = await readStage(bucket, id);
          if (entry === undefined || entry.value.removing) return undefined;
          const current = entry.value.record;
          if (current.configRevision !== expectedRevision)
            throw revisionConflict(id, expectedRevision, current.configRevision);
          const record: StageRecord = {
            ...current,
            config,
            configRevision: current.configRevision + 1,
            updatedAt: now,
          };
          await bucket.update<StageDoc>(stageKey(id), { record }, entry.revision);
          return record;
        }, CAS_TRIES);
      } catch (error) {
        if (taking) await releaseIndex(bucket, hostIndexKey(host), id);
        throw error;
      }
      if (updated === undefined) {
        if (taking) await releaseIndex(bucket, hostIndexKey(host), id);
        return undefined;
      }
      // The old host is free once this returns (its key names this stage, which no longer routes it).
      if (oldHost !== null && oldHost !== host) await releaseIndex(bucket, hostIndexKey(oldHost), id);
      return updated;
    },

    async remove(id) {
      const marked = await mark(id);
      if (marked === undefined) return false;
      // An enqueue that began before the mark is seen here; one after it sees the mark and takes itself back.
      if (await ports.hasActiveDeploys(id)) {
        await unmark(id);
        throw stageBusy(id);
      }
      await ports.removeOwned(id);
      await dropStage(marked.value.record, marked.revision);
      return true;
    },
  };
}

const liveKey = (stageId: string) => `live.${part(stageId)}`;
const LIVE_FIELDS = ['stageId', 'releaseId', 'color', 'containerId', 'port', 'since', 'previous'] as const;

export function kvLiveRepository(bucket: KvBucket, stages: KvBucket): LiveRepository {
  return {
    async get(stageId) {
      return (await readDoc<StageLive>(bucket, liveKey(stageId), LIVE_FIELDS))?.value;
    },
    async list() {
      const keys = await bucket.keys('live.');
      const docs = await mapBounded(keys, (key) => readDoc<StageLive>(bucket, key, LIVE_FIELDS));
      return docs
        .filter((entry) => entry !== undefined)
        .map((entry) => entry.value)
        .sort((a, b) => compareText(a.stageId, b.stageId));
    },
    async set(live) {
      if (!(await liveStage(stages, live.stageId))) throw notFound('stage', live.stageId);
      await bucket.put(liveKey(live.stageId), live);
    },
    async clear(stageId) {
      await bucket.delete(liveKey(stageId));
    },
  };
}
