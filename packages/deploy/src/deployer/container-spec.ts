// What a color's container is made of: its name and labels, the env (secrets opened here, at the last
// moment, and only into the container's env), the argv with `{port}` filled in, limits and volumes.

import type { Color, ProjectRecord, ReleaseRecord, StageRecord } from '../model.js';
import type { ContainerSpec } from '../runtime/index.js';
import { envSecretName, type SecretBox } from '../secrets.js';

export interface ColorContainer {
  spec: ContainerSpec;
  /** Secret values it carries (masked in every log line). */
  secrets: string[];
}

/** `hp-<project>-<stage>-<color>-r<seq>-<deploy seq>`: readable in `docker ps`, unique per attempt. */
export function containerName(
  project: ProjectRecord,
  stage: StageRecord,
  color: Color,
  release: ReleaseRecord,
  deploySeq: number,
): string {
  return `hp-${project.name}-${stage.name}-${color}-r${release.seq}-d${deploySeq}`;
}

/** Opens a release's secret env values (bound to the stage they were sealed for). */
export function openEnv(
  release: ReleaseRecord,
  box: SecretBox,
): { env: Record<string, string>; secrets: string[] } {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const variable of release.config.env) {
    if (variable.secret) {
      const value = box.open(envSecretName(release.stageId, variable.name), variable.sealed);
      env[variable.name] = value;
      secrets.push(value);
    } else env[variable.name] = variable.value;
  }
  return { env, secrets };
}

export function buildContainer(options: {
  project: ProjectRecord;
  stage: StageRecord;
  release: ReleaseRecord;
  deployId: string;
  deploySeq: number;
  color: Color;
  port: number;
  box: SecretBox;
}): ColorContainer {
  const { project, stage, release, color, port } = options;
  const config = release.config;
  const { env, secrets } = openEnv(release, options.box);
  // The port variable is Homeport's: an env entry of the same name is overridden, never the other way.
  env[config.port.env] = String(port);
  const spec: ContainerSpec = {
    name: containerName(project, stage, color, release, options.deploySeq),
    image: `${release.image}@${release.digest}`,
    labels: {
      project: project.name,
      stage: stage.name,
      release: release.id,
      color,
      deploy: options.deployId,
    },
    env,
    ...(config.command === null
      ? {}
      : { cmd: config.command.map((arg) => arg.replaceAll('{port}', String(port))) }),
    network: { mode: 'host' },
    volumes: config.volumes.map((v) => ({ ...v })),
    ...(config.resources.memoryBytes === null ? {} : { memoryBytes: config.resources.memoryBytes }),
    ...(config.resources.cpus === null ? {} : { nanoCpus: Math.round(config.resources.cpus * 1e9) }),
    ...(config.resources.pidsLimit === null ? {} : { pidsLimit: config.resources.pidsLimit }),
    restartPolicy: config.restartPolicy,
    stopTimeoutSec: Math.max(1, Math.ceil(config.stopTimeoutMs / 1000)),
  };
  return { spec, secrets };
}
