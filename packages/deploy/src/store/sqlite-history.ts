// Releases and deploys on SQLite: per-stage seqs assigned inside the write transaction that inserts, the
// queue's changes (enqueue with supersede, claim, finish, cancel) each one transaction, and one running
// deploy per stage held by a partial unique index whatever connection claims.

import type { SqliteDatabase } from '@homeport/core';
import type { DeployRecord, DeployStep, ReleaseRecord, StageConfig } from '../model.js';
import type {
  DeployInput,
  DeployListQuery,
  DeployRepository,
  ReleaseInput,
  ReleaseRepository,
} from './repositories.js';
import { fromJson, fromJsonOrNull, toJsonOrNull, writeTransaction } from './sqlite-support.js';
import { checkListQuery, notFound } from './store-checks.js';

interface ReleaseRow {
  id: string;
  stage_id: string;
  seq: number;
  image: string;
  tag: string | null;
  digest: string;
  config: string;
  config_revision: number;
  created_at: string;
  succeeded_at: string | null;
}

const toRelease = (row: ReleaseRow): ReleaseRecord => ({
  id: row.id,
  stageId: row.stage_id,
  seq: row.seq,
  image: row.image,
  tag: row.tag,
  digest: row.digest,
  config: fromJson<StageConfig>(row.config),
  configRevision: row.config_revision,
  createdAt: row.created_at,
  succeededAt: row.succeeded_at,
});

export function sqliteReleaseRepository(db: SqliteDatabase): ReleaseRepository {
  const stageExists = db
    .prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM deploy_stages WHERE id = ?)')
    .pluck();
  const nextSeq = db
    .prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) + 1 FROM deploy_releases WHERE stage_id = ?')
    .pluck();
  const insert = db.prepare(`
    INSERT INTO deploy_releases (id, stage_id, seq, image, tag, digest, config, config_revision, created_at)
    VALUES (@id, @stageId, @seq, @image, @tag, @digest, @config, @configRevision, @createdAt)`);
  const get = db.prepare<[string], ReleaseRow>('SELECT * FROM deploy_releases WHERE id = ?');
  const find = db.prepare<[string, string, number], ReleaseRow>(`
    SELECT * FROM deploy_releases WHERE stage_id = ? AND digest = ? AND config_revision = ?
    ORDER BY seq DESC LIMIT 1`);
  const list = db.prepare<[string, number], ReleaseRow>(
    'SELECT * FROM deploy_releases WHERE stage_id = ? ORDER BY seq DESC LIMIT ?',
  );
  const succeed = db.prepare<[string, string], ReleaseRow>(
    'UPDATE deploy_releases SET succeeded_at = COALESCE(succeeded_at, ?) WHERE id = ? RETURNING *',
  );
  const create = writeTransaction(db, (input: ReleaseInput, now: string): ReleaseRecord => {
    if (stageExists.get(input.stageId) !== 1) throw notFound('stage', input.stageId);
    const record: ReleaseRecord = {
      ...input,
      seq: nextSeq.get(input.stageId) as number,
      createdAt: now,
      succeededAt: null,
    };
    insert.run({ ...record, config: JSON.stringify(record.config) });
    return record;
  });
  return {
    async create(input, now) {
      return create(input, now);
    },
    async get(id) {
      const row = get.get(id);
      return row && toRelease(row);
    },
    async find(stageId, digest, configRevision) {
      const row = find.get(stageId, digest, configRevision);
      return row && toRelease(row);
    },
    async list(stageId, limit) {
      return list.all(stageId, limit).map(toRelease);
    },
    async markSucceeded(id, now) {
      const row = succeed.get(now, id);
      return row && toRelease(row);
    },
  };
}

interface DeployRow {
  id: string;
  project_id: string;
  stage_id: string;
  seq: number;
  trigger: DeployRecord['trigger'];
  requested_by: string | null;
  tag: string | null;
  digest: string | null;
  release_id: string | null;
  status: DeployRecord['status'];
  steps: string;
  error: string | null;
  color: DeployRecord['color'];
  runner: string | null;
  cancel_requested: number;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

const toDeploy = (row: DeployRow): DeployRecord => ({
  id: row.id,
  projectId: row.project_id,
  stageId: row.stage_id,
  seq: row.seq,
  trigger: row.trigger,
  requestedBy: row.requested_by,
  tag: row.tag,
  digest: row.digest,
  releaseId: row.release_id,
  status: row.status,
  steps: fromJson<DeployStep[]>(row.steps),
  error: fromJsonOrNull(row.error),
  color: row.color,
  runner: row.runner,
  cancelRequested: row.cancel_requested === 1,
  createdAt: row.created_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
});

/** The WHERE clause and parameters of a listing; each shape of query is one statement, prepared once. */
function listSql(query: DeployListQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.stageId !== undefined) {
    where.push('stage_id = ?');
    params.push(query.stageId);
  }
  if (query.projectId !== undefined) {
    where.push('project_id = ?');
    params.push(query.projectId);
  }
  if (query.statuses !== undefined) {
    where.push('status IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(query.statuses));
  }
  if (query.beforeSeq !== undefined) {
    where.push('seq < ?');
    params.push(query.beforeSeq);
  }
  params.push(query.limit);
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  return {
    sql: `SELECT * FROM deploy_deploys ${filter} ORDER BY created_at DESC, seq DESC, id DESC LIMIT ?`,
    params,
  };
}

export function sqliteDeployRepository(db: SqliteDatabase): DeployRepository {
  const stage = db.prepare<[string], { project_id: string }>(
    'SELECT project_id FROM deploy_stages WHERE id = ?',
  );
  const nextSeq = db
    .prepare<[string], number>('SELECT COALESCE(MAX(seq), 0) + 1 FROM deploy_deploys WHERE stage_id = ?')
    .pluck();
  const insert = db.prepare(`
    INSERT INTO deploy_deploys (id, project_id, stage_id, seq, trigger, requested_by, tag, digest, release_id,
      status, steps, created_at)
    VALUES (@id, @projectId, @stageId, @seq, @trigger, @requestedBy, @tag, @digest, @releaseId, 'queued', '[]',
      @createdAt)`);
  const supersede = db.prepare<[string, string], DeployRow>(`
    UPDATE deploy_deploys SET status = 'superseded', ended_at = ?
    WHERE stage_id = ? AND status = 'queued' AND trigger IN ('webhook', 'poller') RETURNING *`);
  const get = db.prepare<[string], DeployRow>('SELECT * FROM deploy_deploys WHERE id = ?');
  const running = db
    .prepare<[string], number>(
      "SELECT EXISTS (SELECT 1 FROM deploy_deploys WHERE stage_id = ? AND status = 'running')",
    )
    .pluck();
  const oldestQueued = db.prepare<[string], DeployRow>(
    "SELECT * FROM deploy_deploys WHERE stage_id = ? AND status = 'queued' ORDER BY seq LIMIT 1",
  );
  const start = db.prepare<[string, string, string], DeployRow>(
    "UPDATE deploy_deploys SET status = 'running', runner = ?, started_at = ? WHERE id = ? RETURNING *",
  );
  const queuedStages = db
    .prepare<[], string>(
      "SELECT DISTINCT stage_id FROM deploy_deploys WHERE status = 'queued' ORDER BY stage_id",
    )
    .pluck();
  const progress = db.prepare(`
    UPDATE deploy_deploys SET digest = @digest, release_id = @releaseId, color = @color, steps = @steps
    WHERE id = @id`);
  const finish = db.prepare<[string, string | null, string, string], DeployRow>(`
    UPDATE deploy_deploys SET status = ?, error = ?, ended_at = ?
    WHERE id = ? AND status IN ('queued', 'running') RETURNING *`);
  const cancelQueued = db.prepare<[string, string], DeployRow>(
    "UPDATE deploy_deploys SET status = 'cancelled', ended_at = ? WHERE id = ? AND status = 'queued' RETURNING *",
  );
  const cancelRunning = db.prepare<[string], DeployRow>(
    "UPDATE deploy_deploys SET cancel_requested = 1 WHERE id = ? AND status = 'running' RETURNING *",
  );
  const listings = new Map<string, ReturnType<typeof db.prepare<unknown[], DeployRow>>>();

  const enqueue = writeTransaction(db, (input: DeployInput, now: string, supersedeAutomatic: boolean) => {
    const owner = stage.get(input.stageId);
    if (!owner || owner.project_id !== input.projectId)
      throw notFound('stage', `${input.projectId}/${input.stageId}`);
    const superseded = supersedeAutomatic ? supersede.all(now, input.stageId).map(toDeploy) : [];
    insert.run({ ...input, seq: nextSeq.get(input.stageId), createdAt: now });
    return { deploy: toDeploy(get.get(input.id) as DeployRow), superseded }; // inserted above
  });
  const claim = writeTransaction(db, (stageId: string, runner: string, now: string) => {
    if (running.get(stageId) === 1) return undefined;
    const next = oldestQueued.get(stageId);
    return next && toDeploy(start.get(runner, now, next.id) as DeployRow); // the row read above
  });
  const writeProgress = writeTransaction(
    db,
    (id: string, changes: Parameters<DeployRepository['progress']>[1]) => {
      const row = get.get(id);
      if (row?.status !== 'running') return undefined;
      const current = toDeploy(row);
      const next: DeployRecord = {
        ...current,
        digest: changes.digest ?? current.digest,
        releaseId: changes.releaseId ?? current.releaseId,
        color: changes.color ?? current.color,
        steps: changes.steps ?? current.steps,
      };
      progress.run({
        id,
        digest: next.digest,
        releaseId: next.releaseId,
        color: next.color,
        steps: JSON.stringify(next.steps),
      });
      return next;
    },
  );
  const cancel = writeTransaction(db, (id: string, now: string) => {
    const row = cancelQueued.get(now, id) ?? cancelRunning.get(id) ?? get.get(id);
    return row && toDeploy(row);
  });

  return {
    async enqueue(input, now, options) {
      return enqueue(input, now, options.supersedeAutomatic);
    },
    async get(id) {
      const row = get.get(id);
      return row && toDeploy(row);
    },
    async list(query) {
      checkListQuery(query);
      const { sql, params } = listSql(query);
      let statement = listings.get(sql);
      if (!statement) {
        statement = db.prepare<unknown[], DeployRow>(sql);
        listings.set(sql, statement);
      }
      return statement.all(...params).map(toDeploy);
    },
    async claimNext(stageId, runner, now) {
      return claim(stageId, runner, now);
    },
    async stagesWithQueued() {
      return queuedStages.all();
    },
    async progress(id, changes) {
      return writeProgress(id, changes);
    },
    async finish(id, status, error, now) {
      const row = finish.get(status, toJsonOrNull(error), now, id);
      return row && toDeploy(row);
    },
    async requestCancel(id, now) {
      return cancel(id, now);
    },
  };
}
