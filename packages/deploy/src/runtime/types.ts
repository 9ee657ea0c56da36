// The container runtime as the deploy flow sees it: containers identified by Homeport labels, images pinned by
// digest, and nothing of Docker's API shape. The dockerode implementation is docker-runtime.ts.

import type { Color } from '../model.js';

export type { Color };

/** Stored as labels `homeport.project` … `homeport.deploy`, next to `homeport.managed=true`. */
export interface ContainerLabels {
  project: string;
  stage: string;
  release: string;
  color: Color;
  deploy: string;
}

export interface ContainerVolume {
  /** An absolute host path (a bind mount) or a named volume (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`). */
  source: string;
  /** An absolute path in the container. */
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  /** The Docker container name, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. */
  name: string;
  /** Always `repository@sha256:<digest>`; a tag is refused. */
  image: string;
  labels: ContainerLabels;
  /** Keys `^[A-Za-z_][A-Za-z0-9_]*$`, values without NUL. The caller puts PORT here. */
  env: Record<string, string>;
  /** An argv array, never a shell string; without it the image's CMD runs. */
  cmd?: string[];
  /** Host networking: the app binds 127.0.0.1:$PORT. (Bridge networks are a later step and refused for now.) */
  network: { mode: 'host' };
  volumes: ContainerVolume[];
  memoryBytes?: number;
  nanoCpus?: number;
  pidsLimit?: number;
  restartPolicy: 'no' | 'on-failure' | 'unless-stopped';
  /** Seconds between SIGTERM and SIGKILL on stop. */
  stopTimeoutSec: number;
}

export type ContainerHealth = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface ContainerState {
  id: string;
  name: string;
  labels: ContainerLabels;
  /** The reference it was created from (`repository@sha256:…`). */
  imageRef: string;
  /** The manifest digest of `imageRef`, or null when it was not pinned (a container Homeport did not create). */
  imageDigest: string | null;
  running: boolean;
  /** Null while running or before its first start. */
  exitCode: number | null;
  /** Epoch ms; null before the first start. */
  startedAt: number | null;
  /** Epoch ms of the last exit; null if it never exited. */
  finishedAt: number | null;
  /** From the image's HEALTHCHECK; `none` when the image has none. */
  health: ContainerHealth;
  restartCount: number;
  oomKilled: boolean;
}

export interface RuntimeLogLine {
  stream: 'stdout' | 'stderr';
  /** Epoch ms, from Docker's own timestamp of the line. */
  ts: number;
  line: string;
}

export interface RuntimeEvent {
  kind: 'die' | 'health' | 'oom' | 'start';
  containerId: string;
  labels: ContainerLabels;
  /** `die` only. */
  exitCode?: number;
  /** `health` only. */
  health?: ContainerHealth;
  /** Epoch ms. */
  ts: number;
}

export interface ImageHealthcheck {
  /** As in the image: `['CMD', …]` or `['CMD-SHELL', '…']`. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  /** The registry host, e.g. `registry.example.com` or `127.0.0.1:5000`. */
  serveraddress: string;
}

/** What removeImage did: an image used by a container (or by several references) is kept, never forced. */
export type ImageRemoval = 'removed' | 'in_use' | 'absent';

export interface LocalImage {
  /** The image ID, `sha256:…`. */
  id: string;
  /** Manifest digests of the repository that point at it. */
  digests: string[];
  /** Epoch ms. */
  createdAt: number;
}

export interface ContainerRuntime {
  /** Resolves when the engine answers; DeployError `runtime_unavailable` otherwise. */
  ping(): Promise<void>;
  /** Pulls `repository@sha256:…`; registry errors surface (registry_not_found, registry_unavailable); bounded by `signal`. */
  pull(reference: string, auth?: RegistryAuth, signal?: AbortSignal): Promise<void>;
  hasImage(reference: string): Promise<boolean>;
  /** The image's HEALTHCHECK with Docker's defaults filled in, or null when it has none (or `NONE`). */
  imageHealthcheck(reference: string): Promise<ImageHealthcheck | null>;
  /** Validates the spec (DeployError `deploy_bad_request` before anything reaches Docker), creates, returns the id. */
  create(spec: ContainerSpec): Promise<string>;
  /** No error when it is already running. */
  start(id: string): Promise<void>;
  /** SIGTERM, SIGKILL after `timeoutSec`; no error when already stopped or gone. */
  stop(id: string, timeoutSec: number): Promise<void>;
  /** Force-removes it (and its anonymous volumes, never named ones); no error when gone. */
  remove(id: string): Promise<void>;
  /** Null when gone or not managed by Homeport. */
  inspect(id: string): Promise<ContainerState | null>;
  /** Every managed container, running or not, whose labels match `filter`. */
  list(filter?: Partial<ContainerLabels>): Promise<ContainerState[]>;
  /** stdout and stderr as lines with Docker's timestamps; with `follow` it ends when the container stops. */
  logs(
    id: string,
    options: { sinceMs?: number; follow: boolean; signal?: AbortSignal },
  ): AsyncIterable<RuntimeLogLine>;
  /** Events of managed containers until `signal` aborts; reconnects by itself (see README: Runtime). */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;
  removeImage(reference: string): Promise<ImageRemoval>;
  /** Local images holding a digest of `repository`, e.g. to prune old releases. */
  listImages(repository: string): Promise<LocalImage[]>;
}
