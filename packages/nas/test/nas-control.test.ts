// NAS control plane over HTTP: node registration, heartbeats, inventories, sharing, mount profiles, revocation.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PASSWORD_BYTES, NAS, nodeDavKey, verifyMountCredential } from '@homeport/nas';
import { exportInput, NAS_CLIENT_TOKEN, NAS_DAV_SECRET, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

let t: TestHomeport;
let now = Date.now();
afterEach(async () => {
  await t?.close();
});
const { register, sync, member, issue } = nasHarness(() => t);
const DAV_SECRET = NAS_DAV_SECRET;

async function setup(env: Record<string, string> = {}) {
  now = Date.now();
  t = await buildNasHomeport({ clock: () => now, env: nasEnv(env) });
  return { admin: await t.login() };
}

describe('node registration', () => {
  it('registers with the bootstrap token and returns betterNAS NasNode plus a node token header', async () => {
    await setup();
    const { response, nodeToken, node } = await register();
    expect(response.statusCode).toBe(200);
    expect(nodeToken).toMatch(/^[0-9a-f]{64}$/);
    // The key comes only from the node-token-authenticated key route, never with a registration.
    expect(response.headers['x-homeport-dav-key']).toBeUndefined();
    const keys = await t.app.inject({ url: `/api/v1/nodes/${node.id}/keys`, headers: bearer(nodeToken) });
    expect(keys.json()).toEqual({
      nodeId: node.id,
      keys: [{ id: 1, key: nodeDavKey(DAV_SECRET, node.id, 1).toString('base64url'), notAfter: null }],
      maxTtlSeconds: 86_400,
    });
    expect(node).toMatchObject({
      agentKind: 'homeport',
      machineId: 'machine-1',
      displayName: 'Basement NAS',
      status: 'online',
      relayAddress: null,
    });
    expect(Object.keys(node).sort()).toEqual([
      'agentKind',
      'agentVersion',
      'directAddress',
      'displayName',
      'id',
      'lastSeenAt',
      'machineId',
      'relayAddress',
      'status',
    ]);
  });

  it('refuses a wrong bootstrap token and a node token of another machine', async () => {
    await setup();
    expect((await register('wrong-token-0000000000')).response.statusCode).toBe(401);
    const { nodeToken } = await register();
    expect((await register(nodeToken, 'machine-2')).response.statusCode).toBe(401);
  });

  it('re-registers with its node token: same node, same token, next key with the old one in grace', async () => {
    await setup();
    const first = await register();
    const second = await register(first.nodeToken);
    expect(second.response.statusCode).toBe(200);
    expect(second.node.id).toBe(first.node.id);
    expect(second.nodeToken).toBeUndefined();
    const beat = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${first.node.id}/heartbeat`,
      headers: bearer(first.nodeToken),
      payload: { nodeId: first.node.id, status: 'online', lastSeenAt: new Date().toISOString() },
    });
    expect(beat.statusCode).toBe(204);
    expect(beat.headers['x-homeport-dav-key-id']).toBe('2');
    const keys = (
      await t.app.inject({ url: `/api/v1/nodes/${first.node.id}/keys`, headers: bearer(first.nodeToken) })
    ).json();
    expect(keys.keys.map((key: { id: number; notAfter: number | null }) => [key.id, key.notAfter])).toEqual([
      [1, Math.floor(now / 1000) + 86_400],
      [2, null],
    ]);
  });

  it('generates and keeps a bootstrap token in the data dir when none is configured', async () => {
    t = await buildNasHomeport();
    const token = readFileSync(join(t.dataDir, 'secrets', 'node-bootstrap-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await register(token)).response.statusCode).toBe(200);
  });
});

describe('heartbeat and status', () => {
  it('answers 204 with the revocation version; a nodeId mismatch or a bad time is 400; unknown node is 404', async () => {
    await setup();
    const { node, nodeToken } = await register();
    const ok = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${node.id}/heartbeat`,
      headers: bearer(nodeToken),
      payload: { nodeId: node.id, status: 'online', lastSeenAt: '2026-12-01T17:23:37Z' },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['x-homeport-revocations']).toBe('0');
    const mismatch = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${node.id}/heartbeat`,
      headers: bearer(nodeToken),
      payload: { nodeId: 'other', status: 'online', lastSeenAt: '2026-12-01T17:23:37Z' },
    });
    expect(mismatch.statusCode).toBe(400);
    for (const lastSeenAt of ['x', '2026-12-01', '2026-12-01T17:23Z', '2026-13-45T99:00:00Z']) {
      const badTime = await t.app.inject({
        method: 'POST',
        url: `/api/v1/nodes/${node.id}/heartbeat`,
        headers: bearer(nodeToken),
        payload: { nodeId: node.id, status: 'online', lastSeenAt },
      });
      expect(badTime.statusCode, lastSeenAt).toBe(400);
    }
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/nodes/node_nope/heartbeat',
      headers: bearer(nodeToken),
      payload: { nodeId: 'node_nope', status: 'online', lastSeenAt: '2026-12-01T17:23:37Z' },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('turns degraded then offline as heartbeats stop, and publishes each change', async () => {
    const { admin } = await setup({ HOMEPORT_NODE_OFFLINE_THRESHOLD: '2m' });
    const { node } = await register();
    const seen: string[] = [];
    t.homeport.events.subscribe(['nas.nodes'], (event) =>
      seen.push((event.data as { status: string }).status),
    );
    const service = () => t.homeport.requireModule(NAS).service;
    now += 61_000;
    await service().refreshStatuses();
    now += 60_000;
    await service().refreshStatuses();
    expect(seen).toEqual(['degraded', 'offline']);
    const nodes = await t.app.inject({ url: '/api/v1/nodes', headers: bearer(admin) });
    expect(nodes.json()[0]).toMatchObject({ id: node.id, status: 'offline' });
  });
});

describe('export inventory', () => {
  it('replaces the inventory in one go: kept paths keep their ids, removed ones go, mount paths are derived', async () => {
    const { admin } = await setup();
    const { node, nodeToken } = await register();
    const first = (
      await sync(node.id, nodeToken, [
        exportInput('/srv/photos', 'Family Photos'),
        exportInput('/srv/docs', 'Docs'),
      ])
    ).json();
    expect(first.map((e: { mountPath: string }) => e.mountPath)).toEqual([
      '/dav/family-photos/',
      '/dav/docs/',
    ]);
    const second = (
      await sync(node.id, nodeToken, [
        exportInput('/srv/photos', 'Photos renamed'),
        exportInput('/srv/music', 'Music', '/dav/m/'),
      ])
    ).json();
    expect(second[0].id).toBe(first[0].id);
    expect(second[0].label).toBe('Photos renamed');
    const listed = (await t.app.inject({ url: '/api/v1/exports', headers: bearer(admin) })).json();
    expect(listed.map((e: { path: string }) => e.path).sort()).toEqual(['/srv/music', '/srv/photos']);
    expect(listed[0]).toMatchObject({ nasNodeId: node.id, protocols: ['webdav'], tags: ['home'] });
  });

  it('keeps an unknown capacity as null (not 0) and a null relay address as null', async () => {
    const { admin } = await setup();
    const { node, nodeToken } = await register();
    await sync(node.id, nodeToken, [{ ...exportInput('/srv/x', 'X'), capacityBytes: null }]);
    const listed = (await t.app.inject({ url: '/api/v1/exports', headers: bearer(admin) })).json();
    expect(listed[0].capacityBytes).toBeNull();
    const nodes = (await t.app.inject({ url: '/api/v1/nodes', headers: bearer(admin) })).json();
    expect(nodes[0].relayAddress).toBeNull();
  });

  it("takes mount paths as the agent sends them, up to betterNAS's 78-character ones; refuses incomplete exports", async () => {
    await setup();
    const { node, nodeToken } = await register();
    const hashed = (path: string) => `/dav/exports/${createHash('sha256').update(path).digest('hex')}/`;
    const synced = await sync(node.id, nodeToken, [
      { ...exportInput('/srv/a', '  A  ', hashed('/srv/a')), mountPath: `  ${hashed('/srv/a')}` },
      exportInput('/srv/b', 'B', hashed('/srv/b')),
    ]);
    expect(synced.statusCode).toBe(200);
    expect(synced.json().map((e: { label: string; mountPath: string }) => [e.label, e.mountPath])).toEqual([
      ['A', hashed('/srv/a')],
      ['B', hashed('/srv/b')],
    ]);
    expect(hashed('/srv/a')).toHaveLength(78);
    const { mountPath: _omitted, ...withoutMountPath } = exportInput('/srv/c', 'C');
    for (const bad of [
      withoutMountPath,
      { ...exportInput('/srv/c', 'C'), mountPath: '   ' },
      { ...exportInput('/srv/c', 'C'), label: '   ' },
      { ...exportInput('/srv/c', 'C'), path: '   ' },
      { ...exportInput('/srv/c', 'C'), protocols: [] },
    ]) {
      expect((await sync(node.id, nodeToken, [bad])).statusCode, JSON.stringify(bad)).toBe(400);
    }
  });

  it('refuses duplicate paths and bad mount paths with 400', async () => {
    await setup();
    const { node, nodeToken } = await register();
    expect(
      (await sync(node.id, nodeToken, [exportInput('/a', 'A'), exportInput('/a', 'B')])).statusCode,
    ).toBe(400);
    expect((await sync(node.id, nodeToken, [exportInput('/a', 'A', '/dav/../x/')])).statusCode).toBe(400);
    expect((await sync(node.id, nodeToken, [exportInput('/a', 'A', 'dav/a/')])).statusCode).toBe(400);
  });
});

describe('sharing and mount profiles', () => {
  async function withExport() {
    const { admin } = await setup();
    const { node, nodeToken } = await register();
    const [photos] = (await sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')])).json();
    return { admin, node, nodeToken, photos: photos as { id: string; mountPath: string } };
  }
  it('members see only shared exports and cannot mount the others (404, as for an unknown id)', async () => {
    const { admin, photos } = await withExport();
    const mia = await member(admin);
    expect((await t.app.inject({ url: '/api/v1/exports', headers: bearer(mia.token) })).json()).toEqual([]);
    expect((await t.app.inject({ url: '/api/v1/nodes', headers: bearer(mia.token) })).json()).toEqual([]);
    const denied = await issue(mia.token, photos.id);
    const unknown = await issue(mia.token, 'exp_doesnotexist');
    expect(denied.statusCode).toBe(404);
    expect(denied.json().error.code).toBe('export_not_found');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('export_not_found');
    const grant = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/mia`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    expect(grant.json()).toMatchObject({ userId: mia.id, username: 'mia', access: 'read-write' });
    const visible = (await t.app.inject({ url: '/api/v1/exports', headers: bearer(mia.token) })).json();
    expect(visible).toHaveLength(1);
    expect(visible[0].access).toBe('read-write');
    expect((await issue(mia.token, photos.id)).statusCode).toBe(200);
  });

  it('issues betterNAS MountProfile with an HMAC credential the node verifies, under 250 bytes', async () => {
    const { admin, node, photos } = await withExport();
    const response = await issue(admin, photos.id);
    expect(response.statusCode).toBe(200);
    const profile = response.json();
    expect(profile).toMatchObject({
      exportId: photos.id,
      protocol: 'webdav',
      readonly: false,
      mountUrl: `http://127.0.0.1:8090${photos.mountPath}`,
      displayName: 'Photos',
    });
    expect(profile.credential.mode).toBe('basic-auth');
    expect(profile.credential.username).toMatch(/^mount-[A-Za-z0-9_-]{12}$/);
    expect(Buffer.byteLength(profile.credential.password)).toBeLessThan(MAX_PASSWORD_BYTES);
    expect(Date.parse(profile.credential.expiresAt) - now).toBeGreaterThan(23.9 * 3600_000);
    const expected = {
      nodeId: node.id,
      nowSeconds: Math.floor(now / 1000),
      maxTtlSeconds: 86_400,
      keyFor: (keyId: number) => nodeDavKey(DAV_SECRET, node.id, keyId),
    };
    const check = verifyMountCredential(profile.credential.username, profile.credential.password, expected);
    expect(check).toMatchObject({
      ok: true,
      claims: { v: 2, keyId: 1, nodeId: node.id, exportId: photos.id, readonly: false, admin: true },
    });
    const tampered = `${profile.credential.password.slice(0, 10)}A${profile.credential.password.slice(11)}`;
    expect(verifyMountCredential(profile.credential.username, tampered, expected).ok).toBe(false);
  });

  it('keeps the password under 250 bytes with the longest mount path allowed', async () => {
    const { admin } = await setup();
    const { node, nodeToken } = await register();
    const longest = `/${'a'.repeat(510)}/`;
    const [item] = (await sync(node.id, nodeToken, [exportInput('/srv/x', 'X', longest)])).json();
    const profile = (await issue(admin, item.id)).json();
    expect(Buffer.byteLength(profile.credential.password)).toBeLessThan(MAX_PASSWORD_BYTES);
  });

  it('a read-only grant forces readonly; the static client token may issue', async () => {
    const { admin, photos } = await withExport();
    const mia = await member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/${mia.id}`,
      headers: bearer(admin),
      payload: { access: 'read-only' },
    });
    expect((await issue(mia.token, photos.id, false)).json().readonly).toBe(true);
    expect((await issue(NAS_CLIENT_TOKEN, photos.id)).statusCode).toBe(200);
  });

  it('answers 503 node_offline when the node stopped heartbeating, 404 for an unknown export', async () => {
    const { admin, photos } = await withExport();
    now += 3 * 60_000;
    const offline = await issue(admin, photos.id);
    expect(offline.statusCode).toBe(503);
    expect(offline.json().error.code).toBe('node_offline');
    expect(offline.headers['retry-after']).toBeDefined();
    expect((await issue(admin, 'exp_nope')).statusCode).toBe(404);
  });

  it('revokes credentials early; the agent sees a new version at heartbeat and fetches the ids', async () => {
    const { admin, node, nodeToken, photos } = await withExport();
    const mia = await member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/${mia.id}`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    const username = (await issue(mia.token, photos.id)).json().credential.username;
    const revoked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mount-credentials/revoke',
      headers: bearer(admin),
      payload: { userId: mia.id },
    });
    expect(revoked.json()).toEqual({ revoked: 1 });
    const beat = await t.app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${node.id}/heartbeat`,
      headers: bearer(nodeToken),
      payload: { nodeId: node.id, status: 'online', lastSeenAt: new Date().toISOString() },
    });
    expect(beat.headers['x-homeport-revocations']).toBe('1');
    const list = await t.app.inject({
      url: `/api/v1/nodes/${node.id}/revocations`,
      headers: bearer(nodeToken),
    });
    expect(list.json()).toEqual({ version: 1, ids: [username] });
    expect(
      (await t.app.inject({ url: `/api/v1/nodes/${node.id}/revocations`, headers: bearer(admin) }))
        .statusCode,
    ).toBe(401);
  });

  it('unsharing revokes that user’s credentials for the export; members cannot manage grants', async () => {
    const { admin, node, nodeToken, photos } = await withExport();
    const mia = await member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${photos.id}/grants/${mia.id}`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    await issue(mia.token, photos.id);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: `/api/v1/exports/${photos.id}/grants/${mia.id}`,
          headers: bearer(mia.token),
          payload: { access: 'read-write' },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/exports/${photos.id}/grants/${mia.id}`,
          headers: bearer(admin),
        })
      ).statusCode,
    ).toBe(204);
    const list = (
      await t.app.inject({ url: `/api/v1/nodes/${node.id}/revocations`, headers: bearer(nodeToken) })
    ).json();
    expect(list.ids).toHaveLength(1);
    expect(
      (await t.app.inject({ url: `/api/v1/exports/${photos.id}/grants`, headers: bearer(admin) })).json(),
    ).toEqual({ grants: [] });
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: `/api/v1/exports/${photos.id}/grants/nobody`,
          headers: bearer(admin),
          payload: { access: 'read-only' },
        })
      ).statusCode,
    ).toBe(404);
  });
});
