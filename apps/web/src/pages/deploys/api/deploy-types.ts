// Shapes of the deploy API (`/api/v1/deploy`) as the Deploys page sees them. The deploy routes answer
// untyped views in the OpenAPI document (their schemas say `unknown`), so these are written here from
// packages/deploy/src/model.ts and the routes' views; a drift shows up in the browser test.

export type Color = 'blue' | 'green';

export interface TagPattern {
  kind: 'regex' | 'semver';
  value: string;
}

/** An env variable as the server shows it: a secret's value is never sent back (null). */
export interface EnvVarView {
  name: string;
  value: string | null;
  secret: boolean;
}

export interface VolumeMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthCheck {
  path: string;
  expectedStatus: number;
  port: number | null;
  host: string | null;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  startPeriodMs: number;
}

export type Strategy = 'blue-green' | 'recreate';

export interface StageConfigView {
  image: string;
  tagPattern: TagPattern;
  port: { env: string; container: number | null };
  command: string[] | null;
  env: EnvVarView[];
  volumes: VolumeMount[];
  resources: { memoryBytes: number | null; cpus: number | null; pidsLimit: number | null };
  restartPolicy: 'no' | 'on-failure' | 'unless-stopped';
  health: HealthCheck;
  deployTimeoutMs: number;
  drainTimeoutMs: number;
  stopTimeoutMs: number;
  watchMs: number;
  graceMs: number;
  host: string | null;
  strategy: Strategy;
  promoteFrom: string | null;
  autoDeploy: boolean;
  keepReleases: number;
  node: string | null;
}

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

export interface Project {
  id: string;
  name: string;
  description: string;
  /** The password is write-only: always null here. */
  registryAuth: { username: string; password: null } | null;
  pollIntervalMs: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ProjectInput {
  description?: string;
  /** Left out: unchanged; null: no credentials. */
  registryAuth?: { username: string; password: string } | null;
  pollIntervalMs?: number | null;
}

export interface Stage {
  id: string;
  projectId: string;
  name: string;
  config: StageConfigView;
  configRevision: number;
  createdAt: string;
  updatedAt: string;
}

/** What saving a stage answers: the stage, risky shapes the server noticed, and the deploy a change queued. */
export interface SavedStage extends Stage {
  warnings: string[];
  deploy?: DeployRecord | null;
}

export type DeployStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'superseded'
  | 'rolled_back';

export interface DeployStep {
  name: string;
  status: 'running' | 'ok' | 'failed' | 'cancelled';
  startedAt: string;
  endedAt: string | null;
  message: string | null;
}

export interface DeployRecord {
  id: string;
  projectId: string;
  stageId: string;
  seq: number;
  trigger: string;
  requestedBy: string | null;
  tag: string | null;
  digest: string | null;
  releaseId: string | null;
  status: DeployStatus;
  steps: DeployStep[];
  error: { step: string; reason: string } | null;
  color: Color | null;
  runner: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface Release {
  id: string;
  stageId: string;
  seq: number;
  image: string;
  tag: string | null;
  digest: string;
  configRevision: number;
  createdAt: string;
  /** Set once a deploy of it succeeded: only these can be rolled back to. */
  succeededAt: string | null;
}

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

export interface LogLine {
  seq: number;
  ts: string;
  stream: 'deploy' | 'stdout' | 'stderr';
  line: string;
}

export const FINISHED: readonly DeployStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'rolled_back',
];
