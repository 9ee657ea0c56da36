// Repository interfaces of the deploy module and the behaviour both stores guarantee (SQLite in
// sqlite-*.ts, JetStream KV in kv-*.ts), written on each method and held by one contract suite
// (test/store-contract*.ts). Times are ISO 8601 strings (UTC). Ids are made by the caller.

import { errorClass } from '@homeport/core';
import type {
  Color,
  DeployRecord,
  DeployStatus,
  DeployStep,
  DeployStepName,
  DeployTrigger,
  LogLine,
  ProjectRecord,
  RegistryAuthStored,
  ReleaseRecord,
  StageConfig,
  StageLive,
  StageRecord,
} from '../model.js';

const KINDS = {
  /** A project with this name exists already. */
  deploy_project_exists: 'conflict',
  /** The project still has stages: remove them first. */
  deploy_project_not_empty: 'conflict',
  /** A stage with this name exists in the project already. */
  deploy_stage_exists: 'conflict',
  /** Another stage routes this public host name. */
  deploy_host_taken: 'conflict',
  /** The stage's configuration moved on since the caller read it: read again and redo the change. */
  deploy_revision_conflict: 'conflict',
  /** The stage has a queued or running deploy (stage removal). */
  deploy_stage_busy: 'conflict',
  /** The project, stage, release or deploy named does not exist. */
  deploy_store_not_found: 'not_found',
} as const;

export class DeployStoreError extends errorClass(KINDS) {}

export interface ProjectInput {
  id: string;
  name: string;
  description: string;
  registryAuth: RegistryAuthStored | null;
  pollIntervalMs: number | null;
}

export type ProjectPatch = Partial<Pick<ProjectRecord, 'description' | 'registryAuth' | 'pollIntervalMs'>>;

export interface ProjectRepository {
  /** `deploy_project_exists` when the name is taken (names compare as given: callers lower-case slugs). */
  create(input: ProjectInput, now: string): Promise<ProjectRecord>;
  get(id: string): Promise<ProjectRecord | undefined>;
  getByName(name: string): Promise<ProjectRecord | undefined>;
  /** Every project, by name. */
  list(): Promise<ProjectRecord[]>;
  /** undefined when unknown. */
  update(id: string, patch: ProjectPatch, now: string): Promise<ProjectRecord | undefined>;
  /** `deploy_project_not_empty` while it has stages; false when unknown. */
  remove(id: string): Promise<boolean>;
}

export interface StageInput {
  id: string;
  projectId: string;
  name: string;
  config: StageConfig;
}

export interface StageRepository {
  /**
   * Creates it at configRevision 1. `deploy_store_not_found` when the project is unknown,
   * `deploy_stage_exists` when the project has the name, `deploy_host_taken` when another stage routes
   * `config.host` (host names compare lower-cased).
   */
  create(input: StageInput, now: string): Promise<StageRecord>;
  get(id: string): Promise<StageRecord | undefined>;
  getByName(projectId: string, name: string): Promise<StageRecord | undefined>;
  /** The stage routing this host (lower-cased match), if any. */
  findByHost(host: string): Promise<StageRecord | undefined>;
  /** A project's stages by name, or every stage (by project id, then name). */
  list(projectId?: string): Promise<StageRecord[]>;
  /**
   * Replaces the configuration when the stage is still at `expectedRevision` (else
   * `deploy_revision_conflict`), bumping configRevision by one. `deploy_host_taken` as for create; the old
   * host is free once this returns. undefined when unknown.
   */
  updateConfig(
    id: string,
    config: StageConfig,
    expectedRevision: number,
    now: string,
  ): Promise<StageRecord | undefined>;
  /**
   * Removes the stage with its live state, releases, deploys and their logs, and frees its host.
   * `deploy_stage_busy` while a deploy of it is queued or running. false when unknown.
   */
  remove(id: string): Promise<boolean>;
}

export interface LiveRepository {
  get(stageId: string): Promise<StageLive | undefined>;
  list(): Promise<StageLive[]>;
  /**
   * Replaces the stage's live state (last write wins: only the stage's one running deploy writes it).
   * `deploy_store_not_found` when the stage is unknown.
   */
  set(live: StageLive): Promise<void>;
  clear(stageId: string): Promise<void>;
}

export interface ReleaseInput {
  id: string;
  stageId: string;
  image: string;
  tag: string | null;
  digest: string;
  config: StageConfig;
  configRevision: number;
}

export interface ReleaseRepository {
  /**
   * Assigns the next seq of the stage (1 for the first), even with concurrent callers (on KV a caller that
   * dies after reserving a seq leaves a gap). `deploy_store_not_found` when the stage is unknown.
   */
  create(input: ReleaseInput, now: string): Promise<ReleaseRecord>;
  get(id: string): Promise<ReleaseRecord | undefined>;
  /** The stage's release with this digest made at this configuration revision, if any (reuse, not repeat). */
  find(stageId: string, digest: string, configRevision: number): Promise<ReleaseRecord | undefined>;
  /** Newest first (highest seq), at most `limit`. */
  list(stageId: string, limit: number): Promise<ReleaseRecord[]>;
  /** Sets succeededAt (kept when set already); undefined when unknown. */
  markSucceeded(id: string, now: string): Promise<ReleaseRecord | undefined>;
}

export interface DeployInput {
  id: string;
  projectId: string;
  stageId: string;
  trigger: DeployTrigger;
  requestedBy: string | null;
  tag: string | null;
  digest: string | null;
  releaseId: string | null;
}

export interface DeployListQuery {
  stageId?: string;
  projectId?: string;
  statuses?: readonly DeployStatus[];
  /** Only deploys with a seq below this (paging a stage's history); needs stageId (a plain Error without). */
  beforeSeq?: number;
  limit: number;
}

/** What a running deploy's runner writes as it goes (each field replaces the stored one). */
export interface DeployProgress {
  digest?: string;
  releaseId?: string;
  color?: Color;
  steps?: DeployStep[];
}

export interface DeployRepository {
  /**
   * Queues a deploy (status queued, seq the stage's next). With `supersedeAutomatic`, queued deploys of the
   * same stage triggered by the webhook or the poller become `superseded` in the same write; they are
   * returned. (On KV it is the next write, not the same: a claim in between may start one of them.)
   * `deploy_store_not_found` when the stage is unknown or not the project's.
   */
  enqueue(
    input: DeployInput,
    now: string,
    options: { supersedeAutomatic: boolean },
  ): Promise<{ deploy: DeployRecord; superseded: DeployRecord[] }>;
  get(id: string): Promise<DeployRecord | undefined>;
  /**
   * Newest first (createdAt, then seq). KV walks each stage's history down by seq: the same order while the
   * replicas' clocks agree.
   */
  list(query: DeployListQuery): Promise<DeployRecord[]>;
  /**
   * The stage's oldest queued deploy, now `running` with `runner` and startedAt — only when no deploy of the
   * stage is running (one at a time per stage, across replicas). undefined otherwise.
   */
  claimNext(stageId: string, runner: string, now: string): Promise<DeployRecord | undefined>;
  /** Stage ids with at least one queued deploy. */
  stagesWithQueued(): Promise<string[]>;
  /** Writes progress of a running deploy; undefined when unknown or not running. */
  progress(id: string, progress: DeployProgress): Promise<DeployRecord | undefined>;
  /**
   * Ends a running (or queued) deploy with a final status, error and endedAt, and frees its stage for the
   * next claim. undefined when unknown or finished already (the first finish wins).
   */
  finish(
    id: string,
    status: Exclude<DeployStatus, 'queued' | 'running'>,
    error: { step: DeployStepName; reason: string } | null,
    now: string,
  ): Promise<DeployRecord | undefined>;
  /**
   * A queued deploy becomes `cancelled` at once (endedAt set); a running one gets cancelRequested (its
   * runner stops at the next step boundary). undefined when unknown; a finished one is returned unchanged.
   */
  requestCancel(id: string, now: string): Promise<DeployRecord | undefined>;
}

export type LogStreamKey = { kind: 'deploy'; id: string } | { kind: 'runtime'; releaseId: string };

export interface LogRepository {
  /**
   * Appends lines (seq assigned in order, continuing the stream's last). A stream keeps its newest
   * `maxLines` lines (oldest dropped); the store's bound is given at creation. A line longer than 16,384
   * UTF-16 units is cut to that, ending in `…`.
   */
  append(key: LogStreamKey, lines: readonly Omit<LogLine, 'seq'>[]): Promise<void>;
  /** Lines with seq > afterSeq, oldest first, at most `limit`. */
  list(key: LogStreamKey, afterSeq: number, limit: number): Promise<LogLine[]>;
  remove(key: LogStreamKey): Promise<void>;
}

export interface WebhookEventRepository {
  /**
   * true the first time `key` is claimed within `ttlMs` (an event id and digest), false for a repeat.
   * Claims older than their ttl are forgotten (swept by the store). `ttlMs` > 0; on KV at most 7 days
   * (the claims bucket's max age).
   */
  claim(key: string, now: string, ttlMs: number): Promise<boolean>;
}

export interface DeployStore {
  projects: ProjectRepository;
  stages: StageRepository;
  live: LiveRepository;
  releases: ReleaseRepository;
  deploys: DeployRepository;
  logs: LogRepository;
  webhookEvents: WebhookEventRepository;
}

export interface DeployStoreOptions {
  /** Lines kept per log stream (default 5,000 for deploys, 10,000 for a release's runtime output). */
  maxDeployLogLines?: number;
  maxRuntimeLogLines?: number;
}
