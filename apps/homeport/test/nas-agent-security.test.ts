// What ends a mount credential at a real agent: its export moving or going (credentials are bound to the
// export's identity), a key rotation, the account being disabled, a revocation — the last one even across
// an agent restart while the control plane is away.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AgentInstance,
  type HomeportInstance,
  startAgent,
  startHomeport,
  tempDir,
} from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, basic, type ExportBody, type MountProfileBody, signIn, waitFor } from './support/nas.js';

const BOOTSTRAP = 'bootstrap-token-for-agent-security-01';
let homeport: HomeportInstance;
let admin: string;
let agent: AgentInstance;
const folders = { p: '', q: '' };
const agents: AgentInstance[] = [];

const agentWith = async (
  specs: string[],
  previous?: AgentInstance,
  readyWhen?: 'listening',
  bootstrapToken = BOOTSTRAP,
) => {
  const started = await startAgent({
    controlPlaneUrl: homeport.url,
    bootstrapToken,
    exports: specs,
    ...(previous ? { stateDir: previous.stateDir, port: previous.port } : {}),
    ...(readyWhen ? { readyWhen } : {}),
  });
  agents.push(started);
  return started;
};

beforeAll(async () => {
  const root = tempDir('homeport-sec-exports-');
  folders.p = join(root, 'p');
  folders.q = join(root, 'q');
  for (const [name, folder] of Object.entries(folders)) {
    mkdirSync(folder);
    writeFileSync(join(folder, 'who.txt'), name);
  }
  homeport = await startHomeport({
    env: {
      HOMEPORT_NODE_BOOTSTRAP_TOKEN: BOOTSTRAP,
      HOMEPORT_EMBEDDED_AGENT: 'false',
      HOMEPORT_NODE_OFFLINE_THRESHOLD: '3s',
      HOMEPORT_LOG_LEVEL: 'warn',
    },
  });
  admin = await signIn(homeport.url, 'admin', homeport.adminPassword);
  // Two folders with the same label: the first listed gets /dav/same/, the second /dav/same-2/.
  agent = await agentWith([`${folders.p}:Same`, `${folders.q}:Same`]);
});

afterAll(async () => {
  for (const item of agents) await item.process.stop();
  await homeport?.process.stop();
});

const exportAt = async (path: string) =>
  waitFor(`the export of ${path}`, async () => {
    const exports = (await api<ExportBody[] & { path: string }[]>(homeport.url, '/api/v1/exports', admin))
      .body;
    return (exports as (ExportBody & { path: string })[]).find((item) => item.path.endsWith(path));
  });

const issue = async (exportId: string, token = admin) =>
  waitFor('a mount profile', async () => {
    const response = await api<MountProfileBody>(homeport.url, '/api/v1/mount-profiles/issue', token, {
      method: 'POST',
      body: { exportId },
    });
    return response.status === 200 ? response.body : undefined;
  });

const get = (url: string, profile: MountProfileBody) =>
  fetch(url, { headers: { authorization: basic(profile.credential.username, profile.credential.password) } });

const refusedAt = (url: string, profile: MountProfileBody, what: string) =>
  waitFor(what, async () => {
    const response = await get(url, profile);
    await response.arrayBuffer();
    return response.status === 401 || response.status === 403 ? response.status : undefined;
  });

describe('mount credentials at a real agent', () => {
  it('a credential opens its export only: after a reorder the folder now at its URL refuses it', async () => {
    const p = await exportAt('/p');
    expect(p.mountPath).toBe('/dav/same/');
    const profile = await issue(p.id);
    const atOldUrl = `${profile.mountUrl}who.txt`;
    expect(await (await get(atOldUrl, profile)).text()).toBe('p');

    // The same folders, listed the other way round: q takes /dav/same/, p moves to /dav/same-2/.
    await agent.process.stop();
    agent = await agentWith([`${folders.q}:Same`, `${folders.p}:Same`], agent);
    const moved = await waitFor('the remapped inventory', async () => {
      const item = await exportAt('/p');
      return item.mountPath === '/dav/same-2/' ? item : undefined;
    });
    expect(moved.id).toBe(p.id);
    const status = await refusedAt(atOldUrl, profile, 'the old URL to refuse the credential');
    expect([401, 403]).toContain(status);
    // The sync did not fail: the node heartbeats and a new credential for p works at p's new place.
    const again = await issue(p.id);
    expect(again.mountUrl.endsWith('/dav/same-2/')).toBe(true);
    expect(await (await get(`${again.mountUrl}who.txt`, again)).text()).toBe('p');
  });

  it('rotating the node key (admin) ends every credential issued before; new ones work', async () => {
    const q = await exportAt('/q');
    const before = await issue(q.id);
    const url = `${before.mountUrl}who.txt`;
    expect((await get(url, before)).status).toBe(200);
    const rotated = await api<{ keyId: number }>(
      homeport.url,
      `/api/v1/nodes/${q.nasNodeId}/rotate-key`,
      admin,
      { method: 'POST' },
    );
    expect(rotated.status).toBe(200);
    expect(await refusedAt(url, before, 'the old key to be refused')).toBe(401);
    const after = await issue(q.id);
    await waitFor('the new key at the agent', async () =>
      (await get(url, after)).status === 200 ? true : undefined,
    );
  });

  it('disabling a member ends their mount credentials', async () => {
    const q = await exportAt('/q');
    const created = await api<{ id: string }>(homeport.url, '/api/v1/users', admin, {
      method: 'POST',
      body: { username: 'dora', password: 'dora-password-123' },
    });
    await api(homeport.url, `/api/v1/exports/${q.id}/grants/dora`, admin, {
      method: 'PUT',
      body: { access: 'read-write' },
    });
    const dora = await signIn(homeport.url, 'dora', 'dora-password-123');
    const profile = await issue(q.id, dora);
    const url = `${profile.mountUrl}who.txt`;
    expect((await get(url, profile)).status).toBe(200);
    const disabled = await api(homeport.url, `/api/v1/users/${created.body.id}`, admin, {
      method: 'PATCH',
      body: { status: 'disabled' },
    });
    expect(disabled.status).toBe(200);
    expect(await refusedAt(url, profile, 'the disabled user’s credential to be refused')).toBe(401);
  });

  it('forgetting a node (admin) cuts its agent off: the node is unknown (404), and every mount is refused', async () => {
    const folder = tempDir('homeport-sec-forget-');
    writeFileSync(join(folder, 'who.txt'), 'r');
    const lone = await agentWith([`${folder}:Lone`]);
    const item = await exportAt(folder);
    const profile = await issue(item.id);
    const url = `${profile.mountUrl}who.txt`;
    expect((await get(url, profile)).status).toBe(200);
    const removed = await api(homeport.url, `/api/v1/nodes/${item.nasNodeId}`, admin, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect(await refusedAt(url, profile, 'the forgotten agent to refuse mounts')).toBe(401);
    await lone.process.stop();
  });

  it('re-enrolling cuts off the agent holding the old token at once; the agent started with the token takes over', async () => {
    const q = await exportAt('/q');
    const before = await issue(q.id);
    const url = `${before.mountUrl}who.txt`;
    expect((await get(url, before)).status).toBe(200);
    const enrolment = await api<{ token: string }>(
      homeport.url,
      `/api/v1/nodes/${q.nasNodeId}/enrolment-token`,
      admin,
      { method: 'POST' },
    );
    expect(enrolment.status).toBe(200);
    // The running agent's token is void: it cannot learn revocations any more, so it refuses every mount.
    expect(await refusedAt(url, before, 'the disowned agent to refuse mounts')).toBe(401);
    await agent.process.stop();
    agent = await agentWith(
      [`${folders.q}:Same`, `${folders.p}:Same`],
      agent,
      undefined,
      enrolment.body.token,
    );
    const after = await issue(q.id);
    await waitFor('the re-enrolled agent to serve', async () =>
      (await get(url, after)).status === 200 ? true : undefined,
    );
    expect((await get(url, before)).status).toBe(401);
  });

  it('keeps refusing a revoked credential after an agent restart while the control plane is away', async () => {
    const q = await exportAt('/q');
    const revokedProfile = await issue(q.id);
    const keptProfile = await issue(q.id);
    const url = `${revokedProfile.mountUrl}who.txt`;
    const revoked = await api<{ revoked: number }>(homeport.url, '/api/v1/mount-credentials/revoke', admin, {
      method: 'POST',
      body: { exportId: q.id },
    });
    expect(revoked.body.revoked).toBeGreaterThanOrEqual(2);
    const stillGood = await issue(q.id);
    expect(await refusedAt(url, revokedProfile, 'the revocation to reach the agent')).toBe(401);
    expect(await refusedAt(url, keptProfile, 'the second revocation')).toBe(401);
    await waitFor('the fresh credential', async () =>
      (await get(url, stillGood)).status === 200 ? true : undefined,
    );

    await agent.process.stop();
    await homeport.process.stop();
    agent = await agentWith([`${folders.q}:Same`, `${folders.p}:Same`], agent, 'listening');
    expect((await get(url, stillGood)).status).toBe(200);
    expect((await get(url, revokedProfile)).status).toBe(401);
  });
});
