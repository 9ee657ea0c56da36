// Records for the deploy store contract suite, times, and ways to look at what calls threw.

import type { StageConfig } from '../src/model.js';
import type {
  DeployInput,
  DeployStoreOptions,
  ProjectInput,
  ReleaseInput,
  StageInput,
} from '../src/store/repositories.js';

/** Every store of the suite is made with these log bounds (small, so the bounds are cheap to reach). */
export const CONTRACT_OPTIONS: DeployStoreOptions = { maxDeployLogLines: 50, maxRuntimeLogLines: 120 };

export const AT = '2026-01-01T00:00:00.000Z';
/** `AT` plus `n` minutes. */
export const at = (n: number): string => new Date(Date.parse(AT) + n * 60_000).toISOString();

export function stageConfig(overrides: Partial<StageConfig> = {}): StageConfig {
  return {
    image: '127.0.0.1:5000/team/app',
    tagPattern: { kind: 'semver', value: '^1.0.0' },
    port: { env: 'PORT', container: null },
    command: null,
    env: [
      { name: 'MODE', secret: false, value: 'production' },
      { name: 'TOKEN', secret: true, sealed: 'sealed:abc' },
    ],
    volumes: [{ source: '/srv/data', target: '/data', readOnly: false }],
    resources: { memoryBytes: 256 << 20, cpus: 0.5, pidsLimit: null },
    restartPolicy: 'unless-stopped',
    health: {
      path: '/healthz',
      expectedStatus: 200,
      port: null,
      host: null,
      intervalMs: 1_000,
      timeoutMs: 2_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      startPeriodMs: 5_000,
    },
    deployTimeoutMs: 300_000,
    drainTimeoutMs: 30_000,
    stopTimeoutMs: 10_000,
    watchMs: 60_000,
    graceMs: 3_600_000,
    host: null,
    strategy: 'blue-green',
    promoteFrom: null,
    autoDeploy: true,
    keepReleases: 3,
    node: null,
    ...overrides,
  };
}

export const projectInput = (name: string, overrides: Partial<ProjectInput> = {}): ProjectInput => ({
  id: `p_${name}`,
  name,
  description: `The ${name} project`,
  registryAuth: null,
  pollIntervalMs: null,
  ...overrides,
});

export const stageInput = (
  projectId: string,
  name: string,
  config: Partial<StageConfig> = {},
): StageInput => ({
  id: `s_${projectId}_${name}`,
  projectId,
  name,
  config: stageConfig(config),
});

export const releaseInput = (
  stageId: string,
  id: string,
  overrides: Partial<ReleaseInput> = {},
): ReleaseInput => ({
  id,
  stageId,
  image: '127.0.0.1:5000/team/app',
  tag: '1.0.0',
  digest: `sha256:${id.padEnd(64, '0').slice(0, 64)}`,
  config: stageConfig(),
  configRevision: 1,
  ...overrides,
});

export const deployInput = (
  projectId: string,
  stageId: string,
  id: string,
  overrides: Partial<DeployInput> = {},
): DeployInput => ({
  id,
  projectId,
  stageId,
  trigger: 'manual',
  requestedBy: 'user_ann',
  tag: '1.0.0',
  digest: null,
  releaseId: null,
  ...overrides,
});

/** What a promise rejected with (fails the test when it resolved). */
export async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, and it succeeded');
}
