// Public surface of the container runtime: the interface the deploy flow uses and its Docker implementation.

export { createDockerRuntime, type DockerRuntimeOptions } from './docker-runtime.js';
export { MAX_LINE_BYTES, TRUNCATED_MARK } from './log-lines.js';
export type {
  Color,
  ContainerHealth,
  ContainerLabels,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerVolume,
  ImageHealthcheck,
  ImageRemoval,
  LocalImage,
  RegistryAuth,
  RuntimeEvent,
  RuntimeLogLine,
} from './types.js';
