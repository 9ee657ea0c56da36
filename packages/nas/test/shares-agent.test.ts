// Share links and browser access end to end: a real control plane on a loopback port and a real agent (one
// process, from the sources) registered with it. What the control plane issues is accepted by the agent
// as a bearer token, reaches only the shared item, and is refused once the link is revoked or its creator
// disabled — through the revocation list the agent fetches.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, createLogger } from '@homeport/core';
import { removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFromConfig } from '../src/agent/embedded.js';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

const BOOTSTRAP = 'bootstrap-token-for-share-agent-tests';

let control: TestHomeport;
let agent: ReturnType<typeof agentFromConfig>;
let admin: string;
let exportId: string;
let mia: { id: string; token: string };
const agentLogs: Record<string, unknown>[] = [];

beforeAll(async () => {
  control = await buildNasHomeport({
    env: { HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP, HOMEPORT_PORT: '0', HOMEPORT_BIND: '127.0.0.1' },
  });
  const controlUrl = await control.homeport.listen();
  admin = await control.login();
  const files = join(tempDir('homeport-share-agent-'), 'files');
  mkdirSync(join(files, 'Shared'), { recursive: true });
  writeFileSync(join(files, 'Shared', 'hello.txt'), 'hello');
  writeFileSync(join(files, 'private.txt'), 'not for you');
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
  const exports = await control.app.inject({ url: '/api/v1/exports', headers: bearer(admin) });
  exportId = exports.json<{ id: string; label: string }[]>().find((item) => item.label === 'Files')?.id ?? '';
  const created = await control.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(admin),
    payload: { username: 'mia', password: 'member-password' },
  });
  mia = { id: created.json<{ id: string }>().id, token: await control.login('mia', 'member-password') };
  await control.app.inject({
    method: 'PUT',
    url: `/api/v1/exports/${exportId}/grants/mia`,
    headers: bearer(admin),
    payload: { access: 'read-write' },
  });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await control?.close();
  removeTempDirs();
});

const revocationsApplied = () => agentLogs.filter((line) => line.msg === 'revocations updated').length;

async function openLink(token: string, path: string) {
  const created = await control.app.inject({
    method: 'POST',
    url: `/api/v1/exports/${exportId}/shares`,
    headers: bearer(token),
    payload: { path, kind: 'folder', mode: 'view' },
  });
  expect(created.statusCode).toBe(201);
  const { share, url } = created.json<{ share: { id: string }; url: string }>();
  const opened = await control.app.inject({
    method: 'POST',
    url: `/api/v1/public/shares/${share.id}/open`,
    payload: { secret: url.split('#')[1] },
  });
  expect(opened.statusCode).toBe(200);
  return { id: share.id, ...opened.json<{ baseUrl: string; token: string }>() };
}

describe('share links on a real agent', () => {
  it('reach the shared folder only, and are refused by the agent once the link is revoked', async () => {
    const link = await openLink(mia.token, '/Shared');
    const get = (path: string) => fetch(`${link.baseUrl}${path}`, { headers: bearer(link.token) });
    const inside = await get('Shared/hello.txt');
    expect(inside.status).toBe(200);
    expect(await inside.text()).toBe('hello');
    expect((await get('private.txt')).status).toBe(403);

    const before = revocationsApplied();
    const revoked = await control.app.inject({
      method: 'DELETE',
      url: `/api/v1/shares/${link.id}`,
      headers: bearer(mia.token),
    });
    expect(revoked.statusCode).toBe(204);
    await until(() => revocationsApplied() > before);
    expect((await get('Shared/hello.txt')).status).toBe(401);
  });

  it('are refused by the agent once their creator is disabled', async () => {
    const link = await openLink(mia.token, '/Shared');
    const get = () => fetch(`${link.baseUrl}Shared/hello.txt`, { headers: bearer(link.token) });
    expect((await get()).status).toBe(200);
    const before = revocationsApplied();
    const disabled = await control.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${mia.id}`,
      headers: bearer(admin),
      payload: { status: 'disabled' },
    });
    expect(disabled.statusCode).toBe(200);
    await until(() => revocationsApplied() > before);
    expect((await get()).status).toBe(401);
  });
});

describe('browser access on a real agent', () => {
  it('is a bearer token the agent accepts for the whole export', async () => {
    const response = await control.app.inject({
      method: 'POST',
      url: `/api/v1/exports/${exportId}/browser-access`,
      headers: bearer(admin),
    });
    expect(response.statusCode).toBe(200);
    const access = response.json<{ baseUrl: string; token: string }>();
    const file = await fetch(`${access.baseUrl}private.txt`, { headers: bearer(access.token) });
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('not for you');
    const anonymous = await fetch(`${access.baseUrl}private.txt`);
    expect(anonymous.status).toBe(401);
  });
});
