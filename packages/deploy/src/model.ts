// The deploy module's domain: projects, their stages and the configuration a stage runs with, releases
// (a digest and a configuration snapshot), deploys (attempts to make a release live) and their steps.
// Validation of these shapes from the outside world lives in the routes' schemas and in validate.ts.

export type Color = 'blue' | 'green';

export const otherColor = (color: Color): Color => (color === 'blue' ? 'green' : 'blue');

/** How a stage picks tags pushed to its repository: a full-match regex or a semver range. */
export interface TagPattern {
  kind: 'regex' | 'semver';
  value: string;
}

/** A plain variable, or a secret whose value is sealed at rest and never shown again. */
export type StoredEnvVar =
  | { name: string; secret: false; value: string }
  | { name: string; secret: true /** sealed with the module's vault key (secrets.ts) */; sealed: string };

export interface VolumeMount {
  /** An absolute host path or a named Docker volume. */
  source: string;
  /** An absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

export interface HealthCheck {
  /** Path (with optional query) probed on the container's port. */
  path: string;
  expectedStatus: number;
  /** Probe this port instead of the allocated one (an app with a separate admin port); null: the app's port. */
  port: number | null;
  /** Host header of the probe; null: the stage's public host, else `localhost`. */
  host: string | null;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive successes that make a new color healthy. */
  healthyThreshold: number;
  /** Consecutive failures after the switch that count as a regression (automatic rollback). */
  unhealthyThreshold: number;
  /** Failures in this window after start do not reset the success count to a failure state. */
  startPeriodMs: number;
}

export interface Resources {
  memoryBytes: number | null;
  /** CPUs as a decimal (0.5 = half a core). */
  cpus: number | null;
  pidsLimit: number | null;
}

export type RestartPolicy = 'no' | 'on-failure' | 'unless-stopped';
export type Strategy = 'blue-green' | 'recreate';

/** Everything a stage runs with; a change of any field is a new release through the deploy path. */
export interface StageConfig {
  /** Image repository, registry host included (`127.0.0.1:5000/team/app`, `ghcr.io/acme/shop`). */
  image: string;
  tagPattern: TagPattern;
  /**
   * The env variable the app reads its port from (`PORT`), and the container's port for bridge networking
   * (null: host networking on an allocated loopback port, the default).
   */
  port: { env: string; container: number | null };
  /** argv override; `{port}` in an element is replaced by the allocated port. Never a shell string. */
  command: string[] | null;
  env: StoredEnvVar[];
  volumes: VolumeMount[];
  resources: Resources;
  restartPolicy: RestartPolicy;
  health: HealthCheck;
  /** Bound of a whole deploy (pull, start, health gate, switch). */
  deployTimeoutMs: number;
  /** How long in-flight requests to the old color may finish after the switch. */
  drainTimeoutMs: number;
  /** SIGTERM → SIGKILL delay when a color is stopped. */
  stopTimeoutMs: number;
  /** After the switch, the new color is watched this long; a regression rolls back by itself. */
  watchMs: number;
  /** The old color is kept stopped this long so a rollback is a switch back. */
  graceMs: number;
  /** Public host name routed to the stage (unique across stages); null: not routed. */
  host: string | null;
  strategy: Strategy;
  /** Name of another stage of the same project whose healthy digests alone may be deployed here. */
  promoteFrom: string | null;
  /** Webhook pushes and the poller deploy matching tags by themselves. */
  autoDeploy: boolean;
  /** Successful releases whose images are kept (besides the running one and the rollback target). */
  keepReleases: number;
  /** Node (Homeport replica id) whose Docker runs the stage; null: the local one. */
  node: string | null;
}

export interface RegistryAuthStored {
  username: string;
  /** The password, sealed at rest (secrets.ts). */
  sealedPassword: string;
}

export interface ProjectRecord {
  id: string;
  /** Slug, unique: `[a-z0-9][a-z0-9-]{0,62}`. */
  name: string;
  description: string;
  registryAuth: RegistryAuthStored | null;
  /** Poll the stages' repositories for new tags this often; null: no polling. */
  pollIntervalMs: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface StageRecord {
  id: string;
  projectId: string;
  /** Slug, unique in its project. */
  name: string;
  config: StageConfig;
  /** Incremented by every configuration change (and stamped on the releases made from it). */
  configRevision: number;
  createdAt: string;
  updatedAt: string;
}

/** What a stage serves now, as the deployer last made it (checked against Docker and the proxy on start). */
export interface StageLive {
  stageId: string;
  releaseId: string;
  color: Color;
  containerId: string;
  /** Loopback port the live color listens on. */
  port: number;
  since: string;
  /** The color that served before, kept stopped until `previous.until` so a rollback is a switch back. */
  previous: { releaseId: string; color: Color; containerId: string; port: number; until: string } | null;
}

export interface ReleaseRecord {
  id: string;
  stageId: string;
  /** 1, 2, 3… per stage. */
  seq: number;
  image: string;
  tag: string | null;
  digest: string;
  /** The configuration the release runs with (a snapshot: later edits make a new release). */
  config: StageConfig;
  configRevision: number;
  createdAt: string;
  /** Set when a deploy of it succeeded (the release went live and passed its watch). */
  succeededAt: string | null;
}

export type DeployTrigger =
  | 'manual'
  | 'webhook'
  | 'poller'
  | 'promote'
  | 'rollback'
  | 'config'
  | 'auto_rollback';

export type DeployStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'superseded'
  | 'rolled_back';

export const FINISHED_STATUSES: readonly DeployStatus[] = [
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
  'rolled_back',
];

export type DeployStepName =
  | 'resolve'
  | 'pull'
  | 'start'
  | 'health'
  | 'switch'
  | 'verify'
  | 'drain'
  | 'stop_old'
  | 'watch'
  | 'rollback';

export interface DeployStep {
  name: DeployStepName;
  status: 'running' | 'ok' | 'failed' | 'cancelled';
  startedAt: string;
  endedAt: string | null;
  message: string | null;
}

export interface DeployRecord {
  id: string;
  projectId: string;
  stageId: string;
  /** 1, 2, 3… per stage. */
  seq: number;
  trigger: DeployTrigger;
  /** The account that asked (null for webhook, poller and automatic rollbacks). */
  requestedBy: string | null;
  /** The tag asked for (null when asked by digest or release). */
  tag: string | null;
  /** Known at enqueue (webhook, promote, rollback) or once resolved. */
  digest: string | null;
  /** The release it deploys, set once resolved (or at enqueue for a rollback). */
  releaseId: string | null;
  status: DeployStatus;
  steps: DeployStep[];
  /** Why it failed: the step and a sentence. */
  error: { step: DeployStepName; reason: string } | null;
  color: Color | null;
  /** The replica running it (claims are per replica so a restart can find its own). */
  runner: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface LogLine {
  seq: number;
  ts: string;
  stream: 'deploy' | 'stdout' | 'stderr';
  line: string;
}
