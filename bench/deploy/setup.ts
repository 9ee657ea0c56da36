// What bench/deploy runs against: a private dockerd and a local registry from the testkit, the built Homeport
// with only the deploy module on that dockerd (as an operator starts it), an admin session for the API, and
// the stage the benchmark deploys to: the testkit's `node` image, routed by the built-in proxy.

import { join } from 'node:path';
import {
  type DockerdInstance,
  freePort,
  type HomeportInstance,
  pushTestImage,
  type RegistryInstance,
  startDockerd,
  startHomeport,
  startRegistry,
  until,
} from '@homeport/testkit';
import { logIn } from '../lib/homeport-session.js';

export const PROJECT = 'bench';
export const STAGE = 'web';
export const REPOSITORY = 'bench/web';
/** The stage's public host: what wrk and the request stream send as `Host` to the built-in proxy. */
export const APP_HOST = 'app.bench.test';

/**
 * The stage: quick health gate (100 ms apart, 2 in a row) and a 1 s watch so 20 deploys fit in a minute or
 * two; graceMs 0 so no stopped color is kept around longer than the next grace sweep.
 */
export const STAGE_CONFIG = {
  image: '', // filled with the registry's host
  host: APP_HOST,
  health: { path: '/health', intervalMs: 100, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 3 },
  deployTimeoutMs: 60_000,
  drainTimeoutMs: 5_000,
  stopTimeoutMs: 5_000,
  watchMs: 1_000,
  graceMs: 0,
} as const;

/** Homeport's settings for the run, printed with the figures. */
export function homeportEnv(dockerHost: string, proxyPort: number): Record<string, string> {
  return {
    HOMEPORT_MODULES: 'deploy',
    HOMEPORT_DOCKER_HOST: dockerHost,
    HOMEPORT_PROXY_PORT: String(proxyPort),
    // One proxy worker per core, as nginx's worker_processes auto (printed with the figures).
    HOMEPORT_PROXY_WORKERS: 'auto',
    // The deploys are polled through the API ten times a second: no 429 for the benchmark's own client.
    HOMEPORT_RATE_LIMIT_MAX: '0',
    HOMEPORT_EMBEDDED_AGENT: 'false',
  };
}

export interface ApiAnswer {
  status: number;
  json: unknown;
}

export interface DeploySetup {
  dockerd: DockerdInstance;
  registry: RegistryInstance;
  homeport: HomeportInstance;
  env: Record<string, string>;
  /** `http://127.0.0.1:<HOMEPORT_PROXY_PORT>`. */
  proxyUrl: string;
  proxyPort: number;
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export async function setUpDeploy(workDir: string): Promise<DeploySetup> {
  const [dockerd, registry] = await Promise.all([startDockerd(), startRegistry()]);
  try {
    const proxyPort = await freePort();
    const env = homeportEnv(dockerd.dockerHost, proxyPort);
    const homeport = await startHomeport({ env, logFile: join(workDir, 'homeport.log') });
    const { token } = await logIn(homeport);
    const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
      const response = await fetch(`${homeport.url}/api/v1/deploy${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
    };
    return {
      dockerd,
      registry,
      homeport,
      env,
      proxyUrl: `http://127.0.0.1:${proxyPort}`,
      proxyPort,
      api,
      async close() {
        await homeport.process.stop();
        await Promise.all([dockerd.stop(), registry.stop()]);
      },
    };
  } catch (error) {
    await Promise.all([dockerd.stop(), registry.stop()]);
    throw error;
  }
}

/** Throws with the answer unless the status is the expected one. */
export function expectStatus(answer: ApiAnswer, status: number, what: string): void {
  if (answer.status !== status)
    throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.json)}`);
}

/**
 * Pushes one image per deploy: tag `d<n>` serving version `v1` or `v2` in turn. A label makes each digest new, so
 * every deploy is a new release starting a new container, as a real deploy of a new build is; the same two
 * digests alternating would make each deploy after the second a switch back to the kept previous container.
 */
export async function pushDeployImages(registry: RegistryInstance, count: number): Promise<string[]> {
  const tags: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const tag = `d${n}`;
    await pushTestImage(registry, {
      repository: REPOSITORY,
      tag,
      variant: 'node',
      version: n % 2 === 0 ? 'v1' : 'v2',
      labels: { 'bench.deploy': String(n) },
    });
    tags.push(tag);
  }
  return tags;
}

/** The project and the stage of the node image on this registry. */
export async function createStage(setup: DeploySetup): Promise<void> {
  expectStatus(await setup.api('POST', '/projects', { name: PROJECT }), 201, 'create project');
  expectStatus(
    await setup.api('POST', `/projects/${PROJECT}/stages`, {
      name: STAGE,
      config: { ...STAGE_CONFIG, image: `${setup.registry.host}/${REPOSITORY}` },
    }),
    201,
    'create stage',
  );
}

export interface DeployStepView {
  name: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  message: string | null;
}

export interface DeployView {
  id: string;
  status: string;
  tag: string | null;
  steps: DeployStepView[];
  error: { step: string; reason: string } | null;
  startedAt: string | null;
  endedAt: string | null;
}

function isDeployView(value: unknown): value is DeployView {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.id === 'string' && typeof record.status === 'string' && Array.isArray(record.steps);
}

/** Queues a deploy of `tag` and polls it every 100 ms until it is finished. */
export async function deployTag(setup: DeploySetup, tag: string): Promise<DeployView> {
  const queued = await setup.api('POST', `/projects/${PROJECT}/stages/${STAGE}/deploys`, { tag });
  expectStatus(queued, 202, `deploy ${tag}`);
  if (!isDeployView(queued.json)) throw new Error(`deploy ${tag}: unexpected answer`);
  const id = queued.json.id;
  return until(
    async () => {
      const answer = await setup.api('GET', `/deploys/${id}`);
      expectStatus(answer, 200, `deploy ${id}`);
      if (!isDeployView(answer.json)) throw new Error(`deploy ${id}: unexpected answer`);
      return ['queued', 'running'].includes(answer.json.status) ? undefined : answer.json;
    },
    120_000,
    100,
  );
}

/** The app container's own address (`http://127.0.0.1:<port>`), from the proxy's target in the stage status. */
export async function liveUpstream(setup: DeploySetup): Promise<string> {
  const answer = await setup.api('GET', `/projects/${PROJECT}/stages/${STAGE}/status`);
  expectStatus(answer, 200, 'stage status');
  // The documented status shape (StageStatus in packages/deploy/src/service.ts); checked just below.
  const live = (answer.json as { live?: { proxyTarget?: { upstream?: unknown } | null } | null }).live;
  const upstream = live?.proxyTarget?.upstream;
  if (typeof upstream !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+$/.test(upstream))
    throw new Error(`stage status has no proxy target: ${JSON.stringify(answer.json)}`);
  return upstream;
}
