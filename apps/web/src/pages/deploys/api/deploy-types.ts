// Shapes of the deploy API (`/api/v1/deploy`) as the Deploys page sees them: the records come from the deploy
// package's model (`@homeport/deploy/model`, types only, nothing of the server is bundled), with the changes
// the routes' views make (secrets write-only).

import type {
  DeployRecord,
  DeployStatus,
  HealthCheck,
  ProjectRecord,
  ReleaseRecord,
  StageConfig,
  StageRecord,
  Strategy,
  TagPattern,
  VolumeMount,
} from '@homeport/deploy/model';

export type {
  Color,
  DeployRecord,
  DeployStatus,
  DeployStep,
  HealthCheck,
  LogLine,
  Strategy,
  TagPattern,
  VolumeMount,
} from '@homeport/deploy/model';

/** An env variable as the server shows it: a secret's value is never sent back (null). */
export interface EnvVarView {
  name: string;
  value: string | null;
  secret: boolean;
}

/** A stage's configuration as the server shows it (stage-config.ts stageConfigView). */
export type StageConfigView = Omit<StageConfig, 'env'> & { env: EnvVarView[] };

/** An env variable as sent: a secret without `value` keeps its stored value. */
export interface EnvVarInput {
  name: string;
  value?: string;
  secret?: boolean;
}

/** The fields of a stage's configuration this page edits; the server keeps the others as they are. */
export interface StageConfigInput {
  image: string;
  tagPattern: TagPattern;
  env: EnvVarInput[];
  volumes: VolumeMount[];
  health: Pick<HealthCheck, 'path' | 'expectedStatus' | 'intervalMs' | 'timeoutMs' | 'healthyThreshold'>;
  deployTimeoutMs: number;
  drainTimeoutMs: number;
  stopTimeoutMs: number;
  watchMs: number;
  host: string | null;
  strategy: Strategy;
  promoteFrom: string | null;
  autoDeploy: boolean;
}

/** A project as the server shows it: the registry password is write-only (always null here). */
export type Project = Omit<ProjectRecord, 'registryAuth'> & {
  registryAuth: { username: string; password: null } | null;
};

export interface ProjectInput {
  description?: string;
  /** Left out: unchanged; null: no credentials. */
  registryAuth?: { username: string; password: string } | null;
  pollIntervalMs?: number | null;
}

export type Stage = Omit<StageRecord, 'config'> & { config: StageConfigView };

/** What saving a stage answers: the stage, risky shapes the server noticed, and the deploy a change queued. */
export interface SavedStage extends Stage {
  warnings: string[];
  deploy?: DeployRecord | null;
}

/** A release (its configuration snapshot left out of what this page reads). */
export type Release = Omit<ReleaseRecord, 'config'>;

export interface LiveRelease {
  releaseId: string;
  seq: number | null;
  tag: string | null;
  digest: string | null;
  color: string;
  containerId: string;
  since: string;
  /** From Docker now; null when the container could not be inspected. */
  container: {
    running: boolean;
    health: string;
    imageDigest: string | null;
    /** Epoch milliseconds. */
    startedAt: number | null;
  } | null;
  proxyTarget: { upstream: string; release: string; color: string } | null;
  previous: { releaseId: string; color: string; until: string } | null;
}

export interface StageStatus {
  stage: Stage;
  live: LiveRelease | null;
  queue: DeployRecord[];
}

export const FINISHED: readonly DeployStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'rolled_back',
];
