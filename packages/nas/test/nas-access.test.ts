// Who may (re-)register a node and what each token opens: the bootstrap token creates nodes only, a node
// token keeps its node, an admin's re-enrolment token replaces both token and key; remaps never 500 and end
// the credentials of exports that moved or went; revocations name users by id or username.

import { nodeDavKey } from '@homeport/nas';
import { exportInput, NAS_BOOTSTRAP, NAS_DAV_SECRET, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

let t: TestHomeport;
afterEach(async () => {
  await t?.close();
});
const nas = nasHarness(() => t);

async function setup() {
  t = await buildNasHomeport({ env: nasEnv() });
  const admin = await t.login();
  const first = await nas.register();
  return { admin, node: first.node as { id: string }, nodeToken: first.nodeToken };
}

const keysOf = async (nodeId: string, token: string) =>
  (await t.app.inject({ url: `/api/v1/nodes/${nodeId}/keys`, headers: bearer(token) })).json() as {
    keys: { id: number; key: string; notAfter: number | null }[];
  };

describe('node enrolment', () => {
  it('refuses the bootstrap token for a machine that is already registered, saying what to do', async () => {
    const { node } = await setup();
    const again = await nas.register(NAS_BOOTSTRAP);
    expect(again.response.statusCode).toBe(401);
    expect(again.response.headers['x-betternas-node-token']).toBeUndefined();
    expect(again.response.json().error.message).toContain(`/api/v1/nodes/${node.id}/enrolment-token`);
    // A new machine still joins with it.
    expect((await nas.register(NAS_BOOTSTRAP, 'machine-2')).response.statusCode).toBe(200);
  });

  it('an admin re-enrolment token works once, within its hour, and voids the old token, key and credentials', async () => {
    const { admin, node, nodeToken } = await setup();
    const [photos] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    const issued = (await nas.issue(admin, photos.id)).json();
    const denied = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${node.id}/enrolment-token`,
      headers: bearer((await nas.member(admin)).token),
    });
    expect(denied.statusCode).toBe(403);
    const enrolment = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${node.id}/enrolment-token`,
      headers: bearer(admin),
    });
    expect(enrolment.statusCode).toBe(200);
    const { token } = enrolment.json() as { token: string };
    // Issuing it voids the node's token and key at once (a stolen token is the usual reason to re-enrol).
    expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(401);
    expect((await nas.register(nodeToken)).response.statusCode).toBe(401);

    const taken = await nas.register(token);
    expect(taken.response.statusCode).toBe(200);
    expect(taken.node.id).toBe(node.id);
    expect(taken.nodeToken).toMatch(/^[0-9a-f]{64}$/);
    expect((await nas.register(token)).response.statusCode).toBe(401); // single use
    expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(401); // old token void
    const keys = await keysOf(node.id, taken.nodeToken);
    // Rotated without grace when the token was issued, and again when it was used.
    expect(keys.keys.map((key) => key.id)).toEqual([3]);
    expect(keys.keys[0]?.key).toBe(nodeDavKey(NAS_DAV_SECRET, node.id, 3).toString('base64url'));
    const revoked = (await nas.revocations(node.id, taken.nodeToken)).json();
    expect(revoked.ids).toContain(issued.credential.username);
  });

  it('a re-enrolment token lapses after an hour', async () => {
    let now = Date.now();
    t = await buildNasHomeport({ env: nasEnv(), clock: () => now });
    const admin = await t.login();
    const { node } = await nas.register();
    const { token } = (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/nodes/${node.id}/enrolment-token`,
        headers: bearer(admin),
      })
    ).json() as { token: string };
    now += 61 * 60_000;
    expect((await nas.register(token)).response.statusCode).toBe(401);
  });

  it('rotating on demand and forgetting a node are admin acts; a forgotten machine joins afresh', async () => {
    const { admin, node, nodeToken } = await setup();
    const rotate = (token: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/nodes/${node.id}/rotate-key`, headers: bearer(token) });
    expect((await rotate(nodeToken)).statusCode).toBe(401);
    expect((await rotate(admin)).json()).toEqual({ keyId: 2, revoked: 0 });
    expect((await keysOf(node.id, nodeToken)).keys.map((key) => key.id)).toEqual([2]);
    const beat = await nas.heartbeat(node.id, nodeToken);
    expect(beat.headers['x-homeport-dav-key-id']).toBe('2');

    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/nodes/${node.id}`,
      headers: bearer(admin),
    });
    expect(removed.statusCode).toBe(204);
    // A forgotten node is unknown: 404, as betterNAS answers for a node it does not have.
    expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(404);
    const fresh = await nas.register(NAS_BOOTSTRAP);
    expect(fresh.response.statusCode).toBe(200);
    expect(fresh.node.id).not.toBe(node.id);
  });
});

describe('export remapping', () => {
  it('swaps two mount paths in one sync (no 500) and revokes credentials of moved and removed exports', async () => {
    const { admin, node, nodeToken } = await setup();
    const first = (
      await nas.sync(node.id, nodeToken, [
        exportInput('/srv/a', 'A', '/dav/one/'),
        exportInput('/srv/b', 'B', '/dav/two/'),
        exportInput('/srv/c', 'C', '/dav/three/'),
        exportInput('/srv/d', 'D', '/dav/four/'),
      ])
    ).json() as { id: string; path: string }[];
    const credentialFor = async (path: string) => {
      const item = first.find((entry) => entry.path === path);
      return (await nas.issue(admin, item?.id ?? '')).json().credential.username as string;
    };
    const [a, b, c, d] = [
      await credentialFor('/srv/a'),
      await credentialFor('/srv/b'),
      await credentialFor('/srv/c'),
      await credentialFor('/srv/d'),
    ];
    const swapped = await nas.sync(node.id, nodeToken, [
      exportInput('/srv/a', 'A', '/dav/two/'),
      exportInput('/srv/b', 'B', '/dav/one/'),
      exportInput('/srv/c', 'C renamed', '/dav/three/'),
    ]);
    expect(swapped.statusCode).toBe(200);
    expect(
      swapped.json().map((item: { path: string; mountPath: string }) => [item.path, item.mountPath]),
    ).toEqual([
      ['/srv/a', '/dav/two/'],
      ['/srv/b', '/dav/one/'],
      ['/srv/c', '/dav/three/'],
    ]);
    const { ids } = (await nas.revocations(node.id, nodeToken)).json() as { ids: string[] };
    expect(ids.sort()).toEqual([a, b, d].sort());
    expect(ids).not.toContain(c);
  });
});

describe('revocation by username', () => {
  it('unsharing and revoking accept a username as well as an id; an unknown user is a 404', async () => {
    const { admin, node, nodeToken } = await setup();
    const [photos] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    const mia = await nas.member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/mia`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    const first = (await nas.issue(mia.token, photos.id)).json().credential.username;
    const revoke = (userId: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/mount-credentials/revoke',
        headers: bearer(admin),
        payload: { userId },
      });
    expect((await revoke('MIA')).json()).toEqual({ revoked: 1 });
    expect((await nas.revocations(node.id, nodeToken)).json().ids).toEqual([first]);
    const unknown = await revoke('nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('user_not_found');

    const second = (await nas.issue(mia.token, photos.id)).json().credential.username;
    const unshared = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/exports/${photos.id}/grants/mia`,
      headers: bearer(admin),
    });
    expect(unshared.statusCode).toBe(204);
    expect((await nas.revocations(node.id, nodeToken)).json().ids).toContain(second);
    expect((await nas.issue(mia.token, photos.id)).statusCode).toBe(404);
  });
});

describe('access that narrows ends mount credentials', () => {
  it.each([
    ['disabled', { status: 'disabled' }],
    ['demoted', { role: 'member' }],
    ['given a new password', { password: 'a-brand-new-password' }],
  ])('when a user is %s', async (_what, patch) => {
    const { admin, node, nodeToken } = await setup();
    const [photos] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'ada', password: 'ada-password-123', role: 'admin' },
    });
    const ada = await t.login('ada', 'ada-password-123');
    const credential = (await nas.issue(ada, photos.id)).json().credential.username;
    const changed = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${created.json().id}`,
      headers: bearer(admin),
      payload: patch,
    });
    expect(changed.statusCode).toBe(200);
    expect((await nas.revocations(node.id, nodeToken)).json().ids).toEqual([credential]);
  });
});

describe('quotas on what clients make the control plane store', () => {
  it('the bootstrap token creates at most 256 nodes; outstanding credentials are capped per holder', async () => {
    const { admin, node, nodeToken } = await setup();
    const [photos] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    for (let i = 2; i <= 256; i += 1) {
      expect((await nas.register(NAS_BOOTSTRAP, `machine-${i}`)).response.statusCode).toBe(200);
    }
    const refused = await nas.register(NAS_BOOTSTRAP, 'machine-257');
    expect(refused.response.statusCode).toBe(409);
    expect(refused.response.json().error.code).toBe('too_many_nodes');

    for (let i = 0; i < 500; i += 1) expect((await nas.issue(admin, photos.id)).statusCode).toBe(200);
    const capped = await nas.issue(admin, photos.id);
    expect(capped.statusCode).toBe(429);
    expect(capped.json().error.code).toBe('too_many_credentials');
    // Another holder is not affected, and revoking frees the quota.
    const mia = await nas.member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/mia`,
      headers: bearer(admin),
      payload: { access: 'read-only' },
    });
    expect((await nas.issue(mia.token, photos.id)).statusCode).toBe(200);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/mount-credentials/revoke',
      headers: bearer(admin),
      payload: { userId: 'admin' },
    });
    expect((await nas.issue(admin, photos.id)).statusCode).toBe(200);
  }, 60_000);
});

describe('node routes have their own rate budget', () => {
  it('anonymous traffic that spends the API budget of an address does not stop its node heartbeating', async () => {
    t = await buildNasHomeport({
      env: nasEnv({ HOMEPORT_RATE_LIMIT_MAX: '5', HOMEPORT_RATE_LIMIT_WINDOW: '1m' }),
    });
    const { node, nodeToken } = await nas.register();
    let limited = 0;
    for (let i = 0; i < 10; i += 1) {
      const response = await t.app.inject({ url: '/api/v1/auth/me' });
      if (response.statusCode === 429) limited += 1;
    }
    expect(limited).toBeGreaterThan(0);
    expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(204);
  });
});

describe('node request budgets are decided after the token check', () => {
  it('refused node requests from an address earn 429, while the node on that address keeps heartbeating', async () => {
    t = await buildNasHomeport({ env: nasEnv() });
    const { node, nodeToken } = await nas.register();
    const statuses: number[] = [];
    for (let i = 0; i < 70; i += 1) {
      statuses.push((await nas.heartbeat(node.id, 'not-the-node-token')).statusCode);
    }
    expect(statuses.slice(0, 60).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(60).every((status) => status === 429)).toBe(true);
    expect((await nas.register('wrong-bootstrap-token', 'machine-x')).response.statusCode).toBe(429);
    for (let i = 0; i < 5; i += 1) expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(204);
  });
});

describe('live NAS events', () => {
  it('node and export events are for admins; a member hears only that their own view changed', async () => {
    const { admin, node, nodeToken } = await setup();
    const mia = await nas.member(admin);
    const other = await nas.member(admin, 'otto');
    const topic = (name: string, token: string) =>
      t.app.inject({ url: `/api/v1/events?topics=${encodeURIComponent(name)}`, headers: bearer(token) });
    expect((await topic('nas.nodes', mia.token)).statusCode).toBe(403);
    expect((await topic('nas.exports', mia.token)).statusCode).toBe(403);
    expect((await topic(`nas.shares.${other.id}`, mia.token)).statusCode).toBe(403);

    const heard = { mia: 0, otto: 0 };
    t.homeport.events.subscribe([`nas.shares.${mia.id}`], () => {
      heard.mia += 1;
    });
    t.homeport.events.subscribe([`nas.shares.${other.id}`], () => {
      heard.otto += 1;
    });
    const [photos] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/mia`,
      headers: bearer(admin),
      payload: { access: 'read-only' },
    });
    expect(heard).toEqual({ mia: 1, otto: 0 });
    await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos renamed')]);
    expect(heard).toEqual({ mia: 2, otto: 0 });
    // Another node, not shared with anyone: nobody but admins hears of it.
    const second = await nas.register(NAS_BOOTSTRAP, 'machine-2');
    await nas.sync(second.node.id, second.nodeToken, [exportInput('/srv/other', 'Other')]);
    expect(heard).toEqual({ mia: 2, otto: 0 });
  });
});
