// Starts deploy-homeport-child.ts as its own process on a given data dir and talks to it over HTTP like
// startDeployHomeport's helpers do: for crash (SIGKILL) and real SIGTERM tests.

import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD } from '@homeport/accounts/testing';
import { type ManagedProcess, REPO_ROOT, startProcess, until } from '@homeport/testkit';
import { expect } from 'vitest';
import type { DeployRecord } from '../../src/model.js';
import type { ApiAnswer, DeployHomeport, Engine } from './deploy-homeport.js';

export interface DeployHomeportProcess {
  process: ManagedProcess;
  url: string;
  proxyPort: number;
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Polls the deploy until `until` says it is done. */
  waitDeploy(
    deployId: string,
    until: (d: DeployRecord) => boolean,
    timeoutMs?: number,
  ): Promise<DeployRecord>;
}

const CHILD = fileURLToPath(new URL('./deploy-homeport-child.ts', import.meta.url));

export async function startDeployHomeportProcess(
  engine: Engine,
  options: { dataDir: string; env?: Record<string, string> },
): Promise<DeployHomeportProcess> {
  const env = {
    HOMEPORT_PORT: '0',
    HOMEPORT_DOCKER_HOST: engine.dockerd.dockerHost,
    HOMEPORT_PROXY_PORT: '0',
    HOMEPORT_RATE_LIMIT_MAX: '0',
    ...options.env,
  };
  const child = await startProcess(process.execPath, ['--import', 'tsx', CHILD], {
    name: 'homeport (deploy test child)',
    cwd: REPO_ROOT,
    env: { TEST_HOMEPORT_ENV: JSON.stringify(env), TEST_HOMEPORT_DATA_DIR: options.dataDir },
    ready: { line: /^HOMEPORT_READY / },
    timeoutMs: 60_000,
  });
  const ready = /^HOMEPORT_READY (.*)$/m.exec(child.stdout())?.[1];
  if (!ready) throw new Error(`the child Homeport said nothing usable:\n${child.output()}`);
  const { url, proxyPort } = JSON.parse(ready) as { url: string; proxyPort: number };
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const response = await fetch(`${url}/api/v1/deploy${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  return {
    process: child,
    url,
    proxyPort,
    api,
    async waitDeploy(deployId, done, timeoutMs = 30_000) {
      let record: DeployRecord | undefined;
      await until(
        async () => {
          record = (await api('GET', `/deploys/${deployId}`)).json as DeployRecord;
          return done(record);
        },
        timeoutMs,
        50,
      );
      if (!record) throw new Error('no deploy record');
      return record;
    },
  };
}

export type Api = DeployHomeport['api'];

/** Creates a project and its stages through the API. */
export async function setUp(api: Api, projectName: string, stages: Record<string, Record<string, unknown>>) {
  const created = await api('POST', '/projects', { name: projectName });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  for (const [name, config] of Object.entries(stages)) {
    const stage = await api('POST', `/projects/${projectName}/stages`, { name, config });
    expect(stage.status, JSON.stringify(stage.json)).toBe(201);
  }
}

/** Queues a deploy of a tag; resolves to its id. */
export async function requestDeploy(
  api: Api,
  projectName: string,
  stage: string,
  tag: string,
): Promise<string> {
  const queued = await api('POST', `/projects/${projectName}/stages/${stage}/deploys`, { tag });
  expect(queued.status, JSON.stringify(queued.json)).toBe(202);
  return queued.json.id;
}

/** The deploy is waiting in its health gate. */
export const inHealthGate = (d: DeployRecord) =>
  d.status === 'running' && d.steps.at(-1)?.name === 'health' && d.steps.at(-1)?.status === 'running';

/** Waits until the deploy is finished, whatever its outcome. */
export function waitFinished(child: DeployHomeportProcess, id: string) {
  return child.waitDeploy(id, (d) => !['queued', 'running'].includes(d.status));
}
