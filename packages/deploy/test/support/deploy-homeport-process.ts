// Starts deploy-homeport-child.ts as its own process on a given data dir and talks to it over HTTP like
// startDeployHomeport's helpers do: for crash (SIGKILL) and real SIGTERM tests.

import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD } from '@homeport/accounts/testing';
import { type ManagedProcess, REPO_ROOT, startProcess, until } from '@homeport/testkit';
import type { DeployRecord } from '../../src/model.js';
import type { ApiAnswer, Engine } from './deploy-homeport.js';

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
