// Projects, stages and their live state on SQLite. Uniqueness (project name, stage name per project,
// host) is checked inside one write transaction and backed by the schema's UNIQUE constraints.

import type { SqliteDatabase } from '@homeport/core';
import type { ProjectRecord, StageConfig, StageLive, StageRecord } from '../model.js';
import type { LiveRepository, ProjectRepository, StageRepository } from './repositories.js';
import { isSqliteForeignKeyViolation } from './sqlite-errors.js';
import { fromJson, fromJsonOrNull, toJsonOrNull, writeTransaction } from './sqlite-support.js';
import {
  hostKey,
  hostTaken,
  notFound,
  projectExists,
  projectNotEmpty,
  revisionConflict,
  stageBusy,
  stageExists,
} from './store-checks.js';

interface ProjectRow {
  id: string;
  name: string;
  description: string;
  registry_auth: string | null;
  poll_interval_ms: number | null;
  created_at: string;
  updated_at: string;
}

const toProject = (row: ProjectRow): ProjectRecord => ({
  id: row.id,
  name: row.name,
  description: row.description,
  registryAuth: fromJsonOrNull(row.registry_auth),
  pollIntervalMs: row.poll_interval_ms,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function sqliteProjectRepository(db: SqliteDatabase): ProjectRepository {
  const get = db.prepare<[string], ProjectRow>('SELECT * FROM deploy_projects WHERE id = ?');
  const byName = db.prepare<[string], ProjectRow>('SELECT * FROM deploy_projects WHERE name = ?');
  const list = db.prepare<[], ProjectRow>('SELECT * FROM deploy_projects ORDER BY name');
  const insert = db.prepare(`
    INSERT INTO deploy_projects (id, name, description, registry_auth, poll_interval_ms, created_at, updated_at)
    VALUES (@id, @name, @description, @registryAuth, @pollIntervalMs, @createdAt, @updatedAt)`);
  const update = db.prepare(`
    UPDATE deploy_projects SET description = @description, registry_auth = @registryAuth,
      poll_interval_ms = @pollIntervalMs, updated_at = @updatedAt WHERE id = @id`);
  const hasStages = db
    .prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM deploy_stages WHERE project_id = ?)')
    .pluck();
  const remove = db.prepare<[string]>('DELETE FROM deploy_projects WHERE id = ?');

  const create = writeTransaction(db, (record: ProjectRecord) => {
    if (byName.get(record.name)) throw projectExists(record.name);
    insert.run({ ...record, registryAuth: toJsonOrNull(record.registryAuth) });
    return record;
  });
  const patch = writeTransaction(db, (id: string, changes: Partial<ProjectRecord>, now: string) => {
    const row = get.get(id);
    if (!row) return undefined;
    const next: ProjectRecord = { ...toProject(row), ...changes, updatedAt: now };
    update.run({ ...next, registryAuth: toJsonOrNull(next.registryAuth) });
    return next;
  });
  const removeProject = writeTransaction(db, (id: string) => {
    if (!get.get(id)) return false;
    if (hasStages.get(id) === 1) throw projectNotEmpty(id);
    remove.run(id);
    return true;
  });

  return {
    async create(input, now) {
      return create({ ...input, createdAt: now, updatedAt: now });
    },
    async get(id) {
      const row = get.get(id);
      return row && toProject(row);
    },
    async getByName(name) {
      const row = byName.get(name);
      return row && toProject(row);
    },
    async list() {
      return list.all().map(toProject);
    },
    async update(id, changes, now) {
      // Only the patchable fields, whatever else an untyped caller put in the object.
      const picked: Partial<ProjectRecord> = {};
      if (changes.description !== undefined) picked.description = changes.description;
      if (changes.registryAuth !== undefined) picked.registryAuth = changes.registryAuth;
      if (changes.pollIntervalMs !== undefined) picked.pollIntervalMs = changes.pollIntervalMs;
      return patch(id, picked, now);
    },
    async remove(id) {
      return removeProject(id);
    },
  };
}

interface StageRow {
  id: string;
  project_id: string;
  name: string;
  config: string;
  host: string | null;
  config_revision: number;
  created_at: string;
  updated_at: string;
}

const toStage = (row: StageRow): StageRecord => ({
  id: row.id,
  projectId: row.project_id,
  name: row.name,
  config: fromJson<StageConfig>(row.config),
  configRevision: row.config_revision,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function sqliteStageRepository(db: SqliteDatabase): StageRepository {
  const get = db.prepare<[string], StageRow>('SELECT * FROM deploy_stages WHERE id = ?');
  const byName = db.prepare<[string, string], StageRow>(
    'SELECT * FROM deploy_stages WHERE project_id = ? AND name = ?',
  );
  const byHost = db.prepare<[string], StageRow>('SELECT * FROM deploy_stages WHERE host = ?');
  const listAll = db.prepare<[], StageRow>('SELECT * FROM deploy_stages ORDER BY project_id, name');
  const listOf = db.prepare<[string], StageRow>(
    'SELECT * FROM deploy_stages WHERE project_id = ? ORDER BY name',
  );
  const projectExistsQuery = db
    .prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM deploy_projects WHERE id = ?)')
    .pluck();
  const insert = db.prepare(`
    INSERT INTO deploy_stages (id, project_id, name, config, host, config_revision, created_at, updated_at)
    VALUES (@id, @projectId, @name, @config, @host, 1, @now, @now)`);
  const update = db.prepare(`
    UPDATE deploy_stages SET config = @config, host = @host, config_revision = config_revision + 1,
      updated_at = @now WHERE id = @id`);
  const active = db
    .prepare<[string], number>(
      "SELECT EXISTS (SELECT 1 FROM deploy_deploys WHERE stage_id = ? AND status IN ('queued', 'running'))",
    )
    .pluck();
  // Logs are keyed by stream name, not by a foreign key: they go by name, before the rows naming them.
  const removeDeployLogs = db.prepare<[string]>(`
    DELETE FROM deploy_logs WHERE stream IN (SELECT 'deploy:' || id FROM deploy_deploys WHERE stage_id = ?)`);
  const removeRuntimeLogs = db.prepare<[string]>(`
    DELETE FROM deploy_logs WHERE stream IN (SELECT 'runtime:' || id FROM deploy_releases WHERE stage_id = ?)`);
  const remove = db.prepare<[string]>('DELETE FROM deploy_stages WHERE id = ?');

  const checkHost = (host: string | null, stageId: string) => {
    if (host === null) return;
    const holder = byHost.get(host);
    if (holder && holder.id !== stageId) throw hostTaken(host);
  };
  const create = writeTransaction(
    db,
    (input: { id: string; projectId: string; name: string; config: StageConfig }, now: string) => {
      if (projectExistsQuery.get(input.projectId) !== 1) throw notFound('project', input.projectId);
      if (byName.get(input.projectId, input.name)) throw stageExists(input.name);
      const host = hostKey(input.config.host);
      checkHost(host, input.id);
      insert.run({
        id: input.id,
        projectId: input.projectId,
        name: input.name,
        config: JSON.stringify(input.config),
        host,
        now,
      });
      return toStage(get.get(input.id) as StageRow); // inserted above
    },
  );
  const updateConfig = writeTransaction(
    db,
    (id: string, config: StageConfig, expected: number, now: string) => {
      const row = get.get(id);
      if (!row) return undefined;
      if (row.config_revision !== expected) throw revisionConflict(id, expected, row.config_revision);
      const host = hostKey(config.host);
      checkHost(host, id);
      update.run({ id, config: JSON.stringify(config), host, now });
      return toStage(get.get(id) as StageRow); // updated above
    },
  );
  const removeStage = writeTransaction(db, (id: string) => {
    if (!get.get(id)) return false;
    if (active.get(id) === 1) throw stageBusy(id);
    removeDeployLogs.run(id);
    removeRuntimeLogs.run(id);
    remove.run(id);
    return true;
  });

  return {
    async create(input, now) {
      return create(input, now);
    },
    async get(id) {
      const row = get.get(id);
      return row && toStage(row);
    },
    async getByName(projectId, name) {
      const row = byName.get(projectId, name);
      return row && toStage(row);
    },
    async findByHost(host) {
      const row = byHost.get(host.toLowerCase());
      return row && toStage(row);
    },
    async list(projectId) {
      return (projectId === undefined ? listAll.all() : listOf.all(projectId)).map(toStage);
    },
    async updateConfig(id, config, expectedRevision, now) {
      return updateConfig(id, config, expectedRevision, now);
    },
    async remove(id) {
      return removeStage(id);
    },
  };
}

interface LiveRow {
  stage_id: string;
  release_id: string;
  color: StageLive['color'];
  container_id: string;
  port: number;
  since: string;
  previous: string | null;
}

const toLive = (row: LiveRow): StageLive => ({
  stageId: row.stage_id,
  releaseId: row.release_id,
  color: row.color,
  containerId: row.container_id,
  port: row.port,
  since: row.since,
  previous: fromJsonOrNull(row.previous),
});

export function sqliteLiveRepository(db: SqliteDatabase): LiveRepository {
  const get = db.prepare<[string], LiveRow>('SELECT * FROM deploy_live WHERE stage_id = ?');
  const list = db.prepare<[], LiveRow>('SELECT * FROM deploy_live ORDER BY stage_id');
  const set = db.prepare(`
    INSERT INTO deploy_live (stage_id, release_id, color, container_id, port, since, previous)
    VALUES (@stageId, @releaseId, @color, @containerId, @port, @since, @previous)
    ON CONFLICT (stage_id) DO UPDATE SET release_id = excluded.release_id, color = excluded.color,
      container_id = excluded.container_id, port = excluded.port, since = excluded.since,
      previous = excluded.previous`);
  const clear = db.prepare<[string]>('DELETE FROM deploy_live WHERE stage_id = ?');
  return {
    async get(stageId) {
      const row = get.get(stageId);
      return row && toLive(row);
    },
    async list() {
      return list.all().map(toLive);
    },
    async set(live) {
      try {
        set.run({ ...live, previous: toJsonOrNull(live.previous) });
      } catch (error) {
        if (isSqliteForeignKeyViolation(error)) throw notFound('stage', live.stageId);
        throw error;
      }
    },
    async clear(stageId) {
      clear.run(stageId);
    },
  };
}
