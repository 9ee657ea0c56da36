// Nodes that run a betterNAS agent, next to Homeport agents: how each is recognised, the credentials each
// gets, liveness, kind changes on re-registration, the default access of members, cloud profiles and the
// betterNAS-shaped /health (in-process; the black-box suite is betternas-contract.test.ts).

import { NAS, verifyBetterNasCredential, verifyMountCredential } from '@homeport/nas';
import { exportInput, NAS_BOOTSTRAP, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildApp, type TestApp } from './support/app.js';

const BETTERNAS_SECRET = 'betternas-shared-secret-0123456789';

let t: TestApp;
let now = Date.now();
afterEach(async () => {
  await t?.close();
});
const nas = nasHarness(() => t);

async function setup(env: Record<string, string> = {}) {
  now = Date.now();
  t = await buildApp({
    clock: () => now,
    env: nasEnv({
      BETTERNAS_DAV_AUTH_SECRET: BETTERNAS_SECRET,
      HOMEPORT_NODE_OFFLINE_THRESHOLD: '2m',
      ...env,
    }),
  });
  return { admin: await t.login() };
}

/** A node of the given kind with one export. */
async function nodeWithExport(kind: 'homeport' | 'betternas', machineId: string) {
  const { node, nodeToken } = await nas.register(NAS_BOOTSTRAP, machineId, kind);
  const [item] = (await nas.sync(node.id, nodeToken, [exportInput(`/srv/${machineId}`, 'Photos')])).json();
  return { node, nodeToken, item: item as { id: string; mountPath: string } };
}

const visible = async (token: string) =>
  (await nas.get<{ id: string; access: string }[]>(token, '/api/v1/exports')).body;

const profileOf = async (token: string, exportId: string, readonly?: boolean) => {
  const response = await nas.issue(token, exportId, readonly);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    displayName: string;
    mountUrl: string;
    readonly: boolean;
    credential: { username: string; password: string; expiresAt: string };
  };
};

describe('two kinds of agent', () => {
  it('a betterNAS agent gets credentials in its format under the shared secret; a Homeport agent its own', async () => {
    const { admin } = await setup();
    const old = await nodeWithExport('betternas', 'old-box');
    const fresh = await nodeWithExport('homeport', 'new-box');
    expect(old.node.agentKind).toBe('betternas');
    expect(fresh.node.agentKind).toBe('homeport');

    const legacy = await profileOf(admin, old.item.id);
    expect(legacy.credential.username).toMatch(/^mount-[A-Za-z0-9_-]{32}$/);
    expect(legacy.credential.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const claims = verifyBetterNasCredential(legacy.credential.username, legacy.credential.password, {
      secret: BETTERNAS_SECRET,
      nodeId: old.node.id,
      mountPath: old.item.mountPath,
      nowMs: now,
    });
    expect(claims).toEqual({
      v: 1,
      nodeId: old.node.id,
      mountPath: old.item.mountPath,
      username: legacy.credential.username,
      readonly: false,
      expiresAt: legacy.credential.expiresAt,
    });
    // Not a v2 credential: no Homeport agent would take it.
    const asV2 = verifyMountCredential(legacy.credential.username, legacy.credential.password, {
      nodeId: old.node.id,
      nowSeconds: Math.floor(now / 1000),
      maxTtlSeconds: 86_400,
      keyFor: () => Buffer.from(BETTERNAS_SECRET),
    });
    expect(asV2.ok).toBe(false);

    const modern = await profileOf(admin, fresh.item.id);
    expect(
      verifyBetterNasCredential(modern.credential.username, modern.credential.password, {
        secret: BETTERNAS_SECRET,
        nodeId: fresh.node.id,
        mountPath: fresh.item.mountPath,
        nowMs: now,
      }),
    ).toBeUndefined();
    // The keys route is the Homeport agent's; betterNAS agents never call it, and the shared secret is not one.
    const keys = await nas.get<{ keys: { key: string }[] }>(
      fresh.nodeToken,
      `/api/v1/nodes/${fresh.node.id}/keys`,
    );
    expect(keys.raw).not.toContain(Buffer.from(BETTERNAS_SECRET).toString('base64url'));
    // A betterNAS agent's node has no key of its own to rotate.
    const rotate = (nodeId: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/nodes/${nodeId}/rotate-key`, headers: bearer(admin) });
    const refused = await rotate(old.node.id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('rotation_not_applicable');
    expect((await rotate(fresh.node.id)).statusCode).toBe(200);
  });

  it('without BETTERNAS_DAV_AUTH_SECRET a betterNAS node registers but its profiles say what to set (503)', async () => {
    now = Date.now();
    t = await buildApp({ clock: () => now, env: nasEnv() });
    const admin = await t.login();
    const old = await nodeWithExport('betternas', 'old-box');
    const response = await nas.issue(admin, old.item.id);
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({ code: 'betternas_secret_missing' });
    expect(response.json().error.message).toContain('BETTERNAS_DAV_AUTH_SECRET');
  });

  it('refuses to start when the shared secret is also the root of the per-node keys', async () => {
    now = Date.now();
    await expect(
      buildApp({ env: nasEnv({ BETTERNAS_DAV_AUTH_SECRET: nasEnv().HOMEPORT_DAV_AUTH_SECRET }) }),
    ).rejects.toThrow(/BETTERNAS_DAV_AUTH_SECRET must differ/);
  });

  it('a betterNAS node that heartbeat once stays online and mountable; a Homeport node goes offline', async () => {
    const { admin } = await setup();
    const old = await nodeWithExport('betternas', 'old-box');
    const fresh = await nodeWithExport('homeport', 'new-box');
    const sentAt = new Date(now - 5000).toISOString();
    const beat = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${old.node.id}/heartbeat`,
      headers: bearer(old.nodeToken),
      payload: { nodeId: old.node.id, status: 'online', lastSeenAt: sentAt },
    });
    expect(beat.statusCode).toBe(204);
    now += 60 * 60_000;
    await t.homeport.requireModule(NAS).service.refreshStatuses();
    const nodes = (
      await nas.get<{ id: string; status: string; lastSeenAt: string }[]>(admin, '/api/v1/nodes')
    ).body;
    const byId = new Map(nodes.map((node) => [node.id, node]));
    expect(byId.get(old.node.id)).toMatchObject({ status: 'online' });
    // betterNAS stores the time its agent sent.
    expect(Date.parse(byId.get(old.node.id)?.lastSeenAt ?? '')).toBe(Date.parse(sentAt));
    expect(byId.get(fresh.node.id)).toMatchObject({ status: 'offline' });
    expect((await nas.issue(admin, old.item.id)).statusCode).toBe(200);
    expect((await nas.issue(admin, fresh.item.id)).statusCode).toBe(503);
  });

  it('a betterNAS agent replaced by a Homeport agent upgrades the node; the reverse needs an admin', async () => {
    const { admin } = await setup();
    const old = await nodeWithExport('betternas', 'box');
    const legacy = await profileOf(admin, old.item.id);
    const upgraded = await nas.register(old.nodeToken, 'box', 'homeport');
    expect(upgraded.response.statusCode).toBe(200);
    expect(upgraded.node).toMatchObject({ id: old.node.id, agentKind: 'homeport' });
    // The betterNAS-format credential is revoked (the new agent would refuse it anyway).
    const revoked = await nas.revocations(old.node.id, old.nodeToken);
    expect(revoked.json().ids).toContain(legacy.credential.username);

    const downgrade = await nas.register(old.nodeToken, 'box', 'betternas');
    expect(downgrade.response.statusCode).toBe(409);
    expect(downgrade.response.json().error.code).toBe('agent_kind_downgrade');
    const enrolment = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${old.node.id}/enrolment-token`,
      headers: bearer(admin),
    });
    const again = await nas.register(enrolment.json().token, 'box', 'betternas');
    expect(again.response.statusCode).toBe(200);
    expect(again.node).toMatchObject({ id: old.node.id, agentKind: 'betternas' });
  });

  it('registration input is trimmed; blanks and addresses with a query or fragment are refused', async () => {
    await setup();
    const register = (body: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/nodes/register',
        headers: bearer(NAS_BOOTSTRAP),
        payload: {
          machineId: 'm-1',
          displayName: 'Box',
          agentVersion: '1.0.0',
          directAddress: null,
          relayAddress: null,
          ...body,
        },
      });
    const trimmed = await register({
      machineId: '  m-1  ',
      displayName: ' Box ',
      agentVersion: ' 1.0.0 ',
      directAddress: ' http://127.0.0.1:8090 ',
    });
    expect(trimmed.statusCode).toBe(200);
    expect(trimmed.json()).toMatchObject({
      machineId: 'm-1',
      displayName: 'Box',
      agentVersion: '1.0.0',
      directAddress: 'http://127.0.0.1:8090',
    });
    for (const bad of [
      { machineId: '   ' },
      { displayName: ' ' },
      { agentVersion: '' },
      { directAddress: 'ftp://127.0.0.1/' },
      { directAddress: 'http://127.0.0.1/x?y=1' },
      { directAddress: 'http://127.0.0.1/#top' },
      { directAddress: 'relative/path' },
      { directAddress: 'http:///nohost' },
    ]) {
      expect((await register({ machineId: 'm-2', ...bad })).statusCode, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe('default access of members', () => {
  async function withMember(env: Record<string, string> = {}) {
    const { admin } = await setup(env);
    const box = await nodeWithExport('homeport', 'box');
    const mia = await nas.member(admin);
    return { admin, box, mia };
  }
  const settingsOf = (token: string) =>
    nas.get<{ defaultAccess: string; managed: unknown }>(token, '/api/v1/nas/settings');
  const setDefault = (token: string, defaultAccess: string) =>
    t.app.inject({
      method: 'PUT',
      url: '/api/v1/nas/settings',
      headers: bearer(token),
      payload: { defaultAccess },
    });

  it('is none by default; read-write shows and opens every export, as betterNAS does; read-only forces readonly', async () => {
    const { admin, box, mia } = await withMember();
    expect((await settingsOf(admin)).body).toEqual({ defaultAccess: 'none', managed: null });
    expect(await visible(mia.token)).toEqual([]);
    expect((await nas.issue(mia.token, box.item.id)).statusCode).toBe(404);

    expect((await setDefault(admin, 'read-write')).json()).toEqual({
      defaultAccess: 'read-write',
      managed: null,
    });
    expect(await visible(mia.token)).toMatchObject([{ id: box.item.id, access: 'read-write' }]);
    expect((await profileOf(mia.token, box.item.id)).readonly).toBe(false);

    await setDefault(admin, 'read-only');
    expect((await profileOf(mia.token, box.item.id)).readonly).toBe(true);
    // Members cannot read or change it.
    expect((await settingsOf(mia.token)).status).toBe(403);
    expect((await setDefault(mia.token, 'read-write')).statusCode).toBe(403);
  });

  it('a grant of none hides one export whatever the default; an explicit grant wins over the default', async () => {
    const { admin, box, mia } = await withMember({ HOMEPORT_NAS_DEFAULT_ACCESS: 'read-write' });
    const other = await nodeWithExport('homeport', 'other');
    const share = (exportId: string, access: string) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1/exports/${exportId}/grants/${mia.id}`,
        headers: bearer(admin),
        payload: { access },
      });
    expect((await share(box.item.id, 'none')).statusCode).toBe(200);
    expect((await share(other.item.id, 'read-only')).statusCode).toBe(200);
    expect(await visible(mia.token)).toEqual([
      expect.objectContaining({ id: other.item.id, access: 'read-only' }),
    ]);
    expect((await nas.issue(mia.token, box.item.id)).statusCode).toBe(404);
  });

  it('narrowing the default revokes what members hold under it, not what their own grants gave', async () => {
    const { admin, box, mia } = await withMember();
    const other = await nodeWithExport('homeport', 'other');
    await setDefault(admin, 'read-write');
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${other.item.id}/grants/${mia.id}`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    const underDefault = await profileOf(mia.token, box.item.id);
    const readonlyUnderDefault = await profileOf(mia.token, box.item.id, true);
    const underGrant = await profileOf(mia.token, other.item.id);
    const adminOwn = await profileOf(admin, box.item.id);

    await setDefault(admin, 'read-only');
    const revokedOnBox = (await nas.revocations(box.node.id, box.nodeToken)).json().ids;
    expect(revokedOnBox).toEqual([underDefault.credential.username]);

    await setDefault(admin, 'none');
    expect(new Set((await nas.revocations(box.node.id, box.nodeToken)).json().ids)).toEqual(
      new Set([underDefault.credential.username, readonlyUnderDefault.credential.username]),
    );
    expect((await nas.revocations(other.node.id, other.nodeToken)).json().ids).toEqual([]);
    expect(underGrant.credential.username).toBeTruthy();
    expect(revokedOnBox).not.toContain(adminOwn.credential.username);
  });

  it('HOMEPORT_NAS_DEFAULT_ACCESS pins it: the page shows where and cannot change it', async () => {
    const { admin } = await withMember({ HOMEPORT_NAS_DEFAULT_ACCESS: 'read-only' });
    expect((await settingsOf(admin)).body).toEqual({
      defaultAccess: 'read-only',
      managed: { source: 'env', name: 'HOMEPORT_NAS_DEFAULT_ACCESS' },
    });
    const refused = await setDefault(admin, 'read-write');
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain('HOMEPORT_NAS_DEFAULT_ACCESS');
    expect((await setDefault(admin, 'read-only')).statusCode).toBe(200);
  });

  it('members hear on nas.shared that exports changed while a default access is on', async () => {
    const { admin } = await withMember();
    const heard: string[] = [];
    t.homeport.events.subscribe(['nas.shared'], (event) => heard.push(event.type));
    await nodeWithExport('homeport', 'second');
    expect(heard).toEqual([]); // default none: nothing for members who were not shared anything
    await setDefault(admin, 'read-write');
    expect(heard).toEqual(['shares.changed']);
    await nodeWithExport('homeport', 'third'); // its registration and its inventory
    expect(heard).toEqual(['shares.changed', 'shares.changed', 'shares.changed']);
  });
});

describe('betterNAS wire facts', () => {
  it('/health and /version carry betterNAS fields; a Nextcloud base URL shows there and in cloud profiles', async () => {
    const { admin } = await setup({ BETTERNAS_NEXTCLOUD_BASE_URL: 'https://cloud.example.test/' });
    const health = await t.app.inject({ url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      service: 'control-plane',
      status: 'ok',
      uptimeSeconds: expect.any(Number),
      nextcloud: { configured: true, baseUrl: 'https://cloud.example.test', provider: 'nextcloud' },
    });
    expect(health.json().timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await t.app.inject({ url: '/version' })).json()).toMatchObject({
      service: 'control-plane',
      apiVersion: 'v1',
      version: expect.any(String),
    });

    const box = await nodeWithExport('betternas', 'box');
    const issue = (payload: Record<string, unknown>, token = admin) =>
      t.app.inject({ method: 'POST', url: '/api/v1/cloud-profiles/issue', headers: bearer(token), payload });
    const profile = await issue({ userId: ' nc-user ', exportId: box.item.id, provider: 'nextcloud' });
    expect(profile.json()).toEqual({
      id: `cloud-nc-user-${box.item.id}`,
      exportId: box.item.id,
      provider: 'nextcloud',
      baseUrl: 'https://cloud.example.test',
      path: `/apps/betternascontrolplane/exports/${encodeURIComponent(box.item.id)}`,
    });
    expect((await issue({ userId: 'u', exportId: 'nope', provider: 'nextcloud' })).statusCode).toBe(404);
    expect((await issue({ userId: 'u', exportId: box.item.id, provider: 'other' })).statusCode).toBe(400);
    expect((await issue({ userId: '  ', exportId: box.item.id, provider: 'nextcloud' })).statusCode).toBe(
      400,
    );
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cloud-profiles/issue',
      payload: { userId: 'u', exportId: box.item.id, provider: 'nextcloud' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    // A member who may not see the export gets the same 404 as for an unknown one.
    const mia = await nas.member(admin);
    expect(
      (await issue({ userId: 'u', exportId: box.item.id, provider: 'nextcloud' }, mia.token)).statusCode,
    ).toBe(404);
  });

  it('without a Nextcloud URL: health says so and cloud profiles are 503', async () => {
    const { admin } = await setup();
    expect((await t.app.inject({ url: '/health' })).json().nextcloud).toEqual({
      configured: false,
      baseUrl: '',
      provider: 'nextcloud',
    });
    const box = await nodeWithExport('betternas', 'box');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/cloud-profiles/issue',
      headers: bearer(admin),
      payload: { userId: 'u', exportId: box.item.id, provider: 'nextcloud' },
    });
    expect(response.statusCode).toBe(503);
  });

  it('every 401 names the Bearer scheme', async () => {
    await setup();
    for (const [method, url] of [
      ['GET', '/api/v1/exports'],
      ['GET', '/api/v1/nodes'],
      ['POST', '/api/v1/nodes/register'],
      ['GET', '/api/v1/auth/me'],
    ] as const) {
      const response = await t.app.inject({
        method,
        url,
        ...(method === 'POST'
          ? {
              payload: {
                machineId: 'm',
                displayName: 'd',
                agentVersion: '1',
                directAddress: null,
                relayAddress: null,
              },
            }
          : {}),
      });
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['www-authenticate'], url).toBe('Bearer realm="homeport"');
    }
  });

  it("betterNAS's web client works as it did: CORS from its origin, register, login, Bearer session, mount, logout", async () => {
    const origin = 'https://betternas.example';
    await setup({
      BETTERNAS_REGISTRATION_ENABLED: 'true',
      BETTERNAS_CORS_ORIGIN: origin,
      HOMEPORT_NAS_DEFAULT_ACCESS: 'read-write',
    });
    const box = await nodeWithExport('homeport', 'box');
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.statusCode).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain(
      'authorization',
    );

    const body = { username: 'webuser', password: 'a-good-long-password' };
    const json = { origin, 'content-type': 'application/json' };
    const registered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: json,
      payload: body,
    });
    expect(registered.statusCode).toBe(201);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: json,
      payload: body,
    });
    expect(login.statusCode).toBe(200);
    const { token } = login.json() as { token: string };
    expect(token).toMatch(/^[0-9a-f]{64}$/); // betterNAS's clients keep it and send it as a Bearer token
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { origin, ...bearer(token) } });
    expect(me.json()).toMatchObject({ username: 'webuser' });
    expect(me.headers['access-control-allow-origin']).toBe(origin);
    expect((await visible(token)).map((item) => item.id)).toEqual([box.item.id]);
    expect((await profileOf(token, box.item.id)).readonly).toBe(false);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { origin, ...bearer(token) },
    });
    expect(logout.statusCode).toBeLessThan(300);
    expect((await nas.get(token, '/api/v1/exports')).status).toBe(401);
  });
});
