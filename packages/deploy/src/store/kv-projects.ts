// Projects on the KV port: `project.<id>` documents, and `name.<name>` unique index keys taken with `create`
// before the document is written. A removal marks the document first, so a stage created meanwhile sees it.

import { isConflict, type KvBucket, type KvEntry, withCasRetry } from '@homeport/core';
import type { ProjectRecord } from '../model.js';
import {
  CAS_TRIES,
  compareText,
  deleteQuietly,
  holdsIndex,
  mapBounded,
  msOf,
  part,
  readDoc,
  releaseIndex,
  takeIndex,
} from './kv-support.js';
import type { ProjectRepository } from './repositories.js';
import { projectExists, projectNotEmpty } from './store-checks.js';

export interface ProjectDoc {
  record: ProjectRecord;
  /** Set by `remove` before it checks for stages: the project is gone from then on. */
  removing?: true;
}

export const projectKey = (id: string) => `project.${part(id)}`;
const nameKey = (name: string) => `name.${part(name)}`;

export const readProject = (bucket: KvBucket, id: string): Promise<KvEntry<ProjectDoc> | undefined> =>
  readDoc<ProjectDoc>(bucket, projectKey(id), ['record']);

/** The project while it exists (not being removed). */
export async function liveProject(bucket: KvBucket, id: string): Promise<ProjectRecord | undefined> {
  const entry = await readProject(bucket, id);
  return entry && !entry.value.removing ? entry.value.record : undefined;
}

export interface ProjectRemovalPorts {
  /** Whether the project has a stage (its stages' removal is the caller's). */
  hasStages(projectId: string): Promise<boolean>;
}

export function kvProjectRepository(bucket: KvBucket, ports: ProjectRemovalPorts): ProjectRepository {
  const holdsName = (name: string) => async (holder: string) =>
    (await liveProject(bucket, holder))?.name === name;

  const finishRemoval = async (entry: KvEntry<ProjectDoc>) => {
    await releaseIndex(bucket, nameKey(entry.value.record.name), entry.value.record.id);
    await deleteQuietly(bucket, projectKey(entry.value.record.id), entry.revision);
  };

  return {
    async create(input, now) {
      const record: ProjectRecord = { ...input, createdAt: now, updatedAt: now };
      const key = nameKey(record.name);
      if (!(await takeIndex(bucket, key, record.id, msOf(now), holdsName(record.name))))
        throw projectExists(record.name);
      try {
        await bucket.create<ProjectDoc>(projectKey(record.id), { record });
      } catch (error) {
        await releaseIndex(bucket, key, record.id);
        if (isConflict(error)) throw projectExists(record.name); // the id is taken (callers make fresh ones)
        throw error;
      }
      // Taken over while we wrote (we were past the grace): the other writer has the name.
      if (!(await holdsIndex(bucket, key, record.id))) {
        await deleteQuietly(bucket, projectKey(record.id));
        throw projectExists(record.name);
      }
      return record;
    },

    get: (id) => liveProject(bucket, id),

    async getByName(name) {
      const index = await bucket.get<{ id: string }>(nameKey(name));
      if (index === undefined) return undefined;
      const record = await liveProject(bucket, index.value.id);
      return record?.name === name ? record : undefined;
    },

    async list() {
      const keys = await bucket.keys('project.');
      const docs = await mapBounded(keys, (key) => readDoc<ProjectDoc>(bucket, key, ['record']));
      return docs
        .filter((entry) => entry !== undefined && !entry.value.removing)
        .map((entry) => (entry as KvEntry<ProjectDoc>).value.record) // filtered above
        .sort((a, b) => compareText(a.name, b.name));
    },

    update: (id, patch, now) =>
      withCasRetry(async () => {
        const entry = await readProject(bucket, id);
        if (entry === undefined || entry.value.removing) return undefined;
        const record: ProjectRecord = { ...entry.value.record, updatedAt: now };
        if (patch.description !== undefined) record.description = patch.description;
        if (patch.registryAuth !== undefined) record.registryAuth = patch.registryAuth;
        if (patch.pollIntervalMs !== undefined) record.pollIntervalMs = patch.pollIntervalMs;
        await bucket.update<ProjectDoc>(projectKey(id), { record }, entry.revision);
        return record;
      }, CAS_TRIES),

    async remove(id) {
      const marked = await withCasRetry(async () => {
        const entry = await readProject(bucket, id);
        if (entry === undefined) return undefined;
        if (entry.value.removing) return entry; // a removal cut short: finished here
        const doc: ProjectDoc = { ...entry.value, removing: true };
        return { value: doc, revision: await bucket.update(projectKey(id), doc, entry.revision) };
      }, CAS_TRIES);
      if (marked === undefined) return false;
      // A stage created before the mark is seen here; one created after sees the mark and takes itself back.
      if (await ports.hasStages(id)) {
        await withCasRetry(async () => {
          const entry = await readProject(bucket, id);
          if (entry === undefined) return;
          await bucket.update<ProjectDoc>(projectKey(id), { record: entry.value.record }, entry.revision);
        }, CAS_TRIES);
        throw projectNotEmpty(id);
      }
      await finishRemoval(marked);
      return true;
    },
  };
}
