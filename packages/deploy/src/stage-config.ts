// A stage's configuration from what a client sent: defaults filled in (or the stored values kept on an
// update), secrets sealed (a secret left without a value keeps its stored one), cross-field checks made,
// warnings for shapes that work but bite (blue-green sharing a volume). And the view a client gets back,
// secrets write-only.

import type { Static } from '@homeport/core';
import { DeployError } from './errors.js';
import type { HealthCheck, StageConfig, StoredEnvVar } from './model.js';
import type { StageConfigInput } from './routes/schemas.js';
import { envSecretName, type SecretBox } from './secrets.js';

export type StageConfigInputBody = Static<typeof StageConfigInput>;

export const DEFAULT_HEALTH: HealthCheck = {
  path: '/',
  expectedStatus: 200,
  port: null,
  host: null,
  intervalMs: 1_000,
  timeoutMs: 2_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  startPeriodMs: 0,
};

const DEFAULTS: Omit<StageConfig, 'image'> = {
  tagPattern: { kind: 'regex', value: '.+' },
  port: { env: 'PORT', container: null },
  command: null,
  env: [],
  volumes: [],
  resources: { memoryBytes: null, cpus: null, pidsLimit: null },
  restartPolicy: 'unless-stopped',
  health: DEFAULT_HEALTH,
  deployTimeoutMs: 300_000,
  drainTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
  watchMs: 10_000,
  graceMs: 3_600_000,
  host: null,
  strategy: 'blue-green',
  promoteFrom: null,
  autoDeploy: true,
  keepReleases: 5,
  node: null,
};

export interface BuildOptions {
  stageId: string;
  box: SecretBox;
  /** Throws deploy_bad_request when the pattern cannot be used (bad regex, backtracking, bad range). */
  checkTagPattern(pattern: StageConfig['tagPattern']): void;
}

function mergeEnv(
  input: NonNullable<StageConfigInputBody['env']>,
  previous: readonly StoredEnvVar[],
  options: BuildOptions,
): StoredEnvVar[] {
  const seen = new Set<string>();
  return input.map((variable) => {
    if (seen.has(variable.name))
      throw new DeployError('deploy_bad_request', `env ${variable.name} is given twice`, {
        details: { field: 'env' },
      });
    seen.add(variable.name);
    const stored = previous.find((p) => p.name === variable.name);
    const secret = variable.secret ?? stored?.secret ?? false;
    if (variable.value === undefined) {
      if (secret && stored?.secret) return stored;
      throw new DeployError('deploy_bad_request', `env ${variable.name} needs a value`, {
        details: { field: 'env' },
      });
    }
    return secret
      ? {
          name: variable.name,
          secret: true,
          sealed: options.box.seal(envSecretName(options.stageId, variable.name), variable.value),
        }
      : { name: variable.name, secret: false, value: variable.value };
  });
}

/** The full configuration: `input` over `previous` (an update) or over the defaults (a new stage). */
export function buildStageConfig(
  input: StageConfigInputBody,
  previous: StageConfig | undefined,
  options: BuildOptions,
): { config: StageConfig; warnings: string[] } {
  const base = previous ?? { ...DEFAULTS, image: '' };
  const image = input.image ?? base.image;
  if (!image)
    throw new DeployError('deploy_bad_request', 'config.image is required', { details: { field: 'image' } });
  const health: HealthCheck = { ...base.health, ...input.health };
  const config: StageConfig = {
    image,
    tagPattern: input.tagPattern ?? base.tagPattern,
    port: { ...base.port, ...input.port },
    command: input.command === undefined ? base.command : input.command,
    env: input.env === undefined ? base.env : mergeEnv(input.env, base.env, options),
    volumes:
      input.volumes === undefined
        ? base.volumes
        : input.volumes.map((v) => ({ ...v, readOnly: v.readOnly ?? false })),
    resources: { ...base.resources, ...input.resources },
    restartPolicy: input.restartPolicy ?? base.restartPolicy,
    health,
    deployTimeoutMs: input.deployTimeoutMs ?? base.deployTimeoutMs,
    drainTimeoutMs: input.drainTimeoutMs ?? base.drainTimeoutMs,
    stopTimeoutMs: input.stopTimeoutMs ?? base.stopTimeoutMs,
    watchMs: input.watchMs ?? base.watchMs,
    graceMs: input.graceMs ?? base.graceMs,
    host: input.host === undefined ? base.host : input.host,
    strategy: input.strategy ?? base.strategy,
    promoteFrom: input.promoteFrom === undefined ? base.promoteFrom : input.promoteFrom,
    autoDeploy: input.autoDeploy ?? base.autoDeploy,
    keepReleases: input.keepReleases ?? base.keepReleases,
    node: input.node === undefined ? base.node : input.node,
  };
  options.checkTagPattern(config.tagPattern);
  if (health.timeoutMs > config.deployTimeoutMs)
    throw new DeployError('deploy_bad_request', 'health.timeoutMs must not exceed deployTimeoutMs', {
      details: { field: 'health.timeoutMs' },
    });
  const targets = new Set<string>();
  for (const volume of config.volumes) {
    if (targets.has(volume.target))
      throw new DeployError('deploy_bad_request', `two volumes mount ${volume.target}`, {
        details: { field: 'volumes' },
      });
    targets.add(volume.target);
  }
  const warnings: string[] = [];
  if (config.strategy === 'blue-green' && config.volumes.some((v) => !v.readOnly))
    warnings.push(
      'blue-green runs two containers at once during a deploy: both mount the writable volume(s); an app that needs exclusive access (SQLite, a lock file) should use the recreate strategy',
    );
  if (config.env.some((v) => v.name === config.port.env))
    warnings.push(
      `env ${config.port.env} is set by Homeport to the allocated port; the value given is ignored`,
    );
  return { config, warnings };
}

/** What clients see of a configuration: secret values never leave the server. */
export function stageConfigView(config: StageConfig) {
  return {
    ...config,
    env: config.env.map((v) => (v.secret ? { name: v.name, value: null, secret: true } : { ...v })),
  };
}
