// Shared by the runtime suites: one private dockerd and registry per test file, the test images pushed once, and
// a spec builder with unique names.

import { createLogger } from '@homeport/core';
import {
  type DockerdInstance,
  freePort,
  type PushedTestImage,
  pushTestImage,
  type RegistryInstance,
  startDockerd,
  startRegistry,
} from '@homeport/testkit';
import type { ContainerRuntime, ContainerSpec } from '../src/runtime/index.js';
import { createDockerRuntime } from '../src/runtime/index.js';

export const log = createLogger({ level: 'silent' });

export interface RuntimeFixture {
  dockerd: DockerdInstance;
  registry: RegistryInstance;
  runtime: ContainerRuntime;
  images: {
    web: PushedTestImage;
    healthy: PushedTestImage;
    sick: PushedTestImage;
    crash: PushedTestImage;
  };
}

export async function startRuntimeFixture(): Promise<RuntimeFixture> {
  const [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  const images = {
    web: await pushTestImage(registry, { repository: 'shop/web', tag: 'v1', version: 'web-v1' }),
    healthy: await pushTestImage(registry, {
      repository: 'shop/web',
      tag: 'v2',
      version: 'web-v2',
      healthcheck: { intervalMs: 500, timeoutMs: 1000, retries: 2 },
    }),
    sick: await pushTestImage(registry, {
      repository: 'shop/sick',
      tag: 'v1',
      variant: 'unhealthy',
      healthcheck: { intervalMs: 500, timeoutMs: 1000, retries: 2 },
    }),
    crash: await pushTestImage(registry, {
      repository: 'shop/crash',
      tag: 'v1',
      variant: 'crash',
      exitCode: 7,
    }),
  };
  const runtime = createDockerRuntime({ dockerHost: dockerd.dockerHost, log });
  return { dockerd, registry, runtime, images };
}

let counter = 0;

/** A spec for `image` with host networking on a fresh port and a unique name. */
export async function specFor(
  image: PushedTestImage,
  overrides: Partial<ContainerSpec> = {},
): Promise<{ spec: ContainerSpec; port: number }> {
  counter += 1;
  const port = await freePort();
  const spec: ContainerSpec = {
    name: `hp-test-${process.pid}-${counter}`,
    image: image.reference,
    labels: {
      project: 'shop',
      stage: 'production',
      release: `r${counter}`,
      color: 'blue',
      deploy: `d${counter}`,
    },
    env: { PORT: String(port) },
    network: { mode: 'host' },
    volumes: [],
    restartPolicy: 'no',
    stopTimeoutSec: 5,
    ...overrides,
  };
  return { spec, port };
}

/** `status body` of GET url, or undefined while nothing answers. */
export async function httpText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return `${response.status} ${await response.text()}`;
  } catch {
    // Not listening (yet, or any more).
    return undefined;
  }
}
