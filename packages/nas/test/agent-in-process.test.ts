// The agent with HOMEPORT_DAV_WORKERS unset (one process, the default), from the sources, against a real control
// plane on a loopback port: it registers, serves an issued credential, and refuses it once the revocation is
// reported applied — the same path as with workers, through the in-process front.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFromConfig } from '../src/agent/embedded.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-in-process-agent';

let control: TestHomeport;
let agent: ReturnType<typeof agentFromConfig>;
let admin: string;
const agentLogs: Record<string, unknown>[] = [];

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  const controlUrl = await control.homeport.listen();
  admin = await control.login();
  const files = join(tempDir('homeport-in-process-'), 'files');
  mkdirSync(files);
  writeFileSync(join(files, 'hello.txt'), 'hello');
  agent = agentFromConfig({
    config: new Config({
      env: {
        HOMEPORT_CONTROL_PLANE_URL: controlUrl,
        HOMEPORT_EXPORTS: `${files}:Files`,
        HOMEPORT_AGENT_STATE_DIR: join(files, '..', 'agent'),
        HOMEPORT_AGENT_LISTEN: '127.0.0.1:0',
        HOMEPORT_HEARTBEAT_INTERVAL: '200ms',
      },
    }),
    log: createLogger({
      level: 'info',
      destination: { write: (line: string) => agentLogs.push(JSON.parse(line) as Record<string, unknown>) },
    }),
    version: 'test',
    bootstrapToken: BOOTSTRAP,
  });
  await agent.start();
  await agent.registered();
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await control?.close();
  removeTempDirs();
});

describe('agent in one process', () => {
  it('serves an issued credential and refuses it once the revocation is reported applied', async () => {
    const exports = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
    const files = exports.json<{ id: string; label: string }[]>().find((item) => item.label === 'Files');
    if (!files) throw new Error('no export');
    const issued = await control.app.inject({
      method: 'POST',
      url: '/api/v1/mount-profiles/issue',
      headers: bearer(admin),
      payload: { exportId: files.id },
    });
    const profile = issued.json<{ mountUrl: string; credential: { username: string; password: string } }>();
    const authorization = `Basic ${Buffer.from(`${profile.credential.username}:${profile.credential.password}`).toString('base64')}`;
    const get = () => fetch(`${profile.mountUrl}hello.txt`, { headers: { authorization } });
    const first = await get();
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('hello');
    expect(agentLogs.some((line) => line.msg === 'webdav worker listening')).toBe(false);

    const before = agentLogs.filter((line) => line.msg === 'revocations updated').length;
    await control.app.inject({
      method: 'POST',
      url: '/api/v1/mount-credentials/revoke',
      headers: bearer(admin),
      payload: { exportId: files.id },
    });
    await until(() => agentLogs.filter((line) => line.msg === 'revocations updated').length > before);
    expect((await get()).status).toBe(401);
  });
});
