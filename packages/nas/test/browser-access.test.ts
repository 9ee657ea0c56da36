// POST /api/v1/exports/:id/browser-access: the Files page's short-lived credential — what it carries, that
// it is recorded like a mount credential (listed, revocable, counted), and every refusal.

import { afterEach, describe, expect, it } from 'vitest';
import { bearer } from './support/homeport.js';
import { type ShareWorld, shareWorld, verifiedClaims } from './support/shares.js';

let world: ShareWorld | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

const access = (w: ShareWorld, token: string, exportId: string) =>
  w.t.app.inject({
    method: 'POST',
    url: `/api/v1/exports/${encodeURIComponent(exportId)}/browser-access`,
    headers: bearer(token),
  });

interface BrowserAccess {
  baseUrl: string;
  token: string;
  expiresAt: string;
  readonly: boolean;
  exportId: string;
  label: string;
}

describe('POST /api/v1/exports/:id/browser-access', () => {
  it('issues a 15-minute web- credential for the export, signed with the node key, too long for a Basic password', async () => {
    world = await shareWorld();
    const w = world;
    const response = await access(w, w.mia.token, w.photos.id);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<BrowserAccess>();
    expect(body).toMatchObject({
      baseUrl: 'http://127.0.0.1:8090/dav/photos/',
      readonly: false,
      exportId: w.photos.id,
      label: 'Photos',
    });
    const claims = verifiedClaims(w.node.id, body.token, Math.floor(w.clock.now / 1000));
    expect(claims.username).toMatch(/^web-[A-Za-z0-9_-]{12}$/);
    expect(claims).toMatchObject({ exportId: w.photos.id, readonly: false, admin: false });
    expect(claims.scope).toBeUndefined();
    expect(claims.expiresAt - claims.issuedAt).toBe(900);
    expect(Date.parse(body.expiresAt) / 1000).toBe(claims.expiresAt);

    // Recorded like a mount credential: listed as the user's own, and revocable as such.
    const mine = await w.nas.mine(w.mia.token);
    expect(mine.map((credential) => credential.username)).toEqual([claims.username]);
    expect((await w.nas.revokeOne(w.mia.token, claims.username)).statusCode).toBe(200);
    const revoked = await w.nas.revocations(w.node.id, w.nodeToken);
    expect(revoked.json<{ ids: string[] }>().ids).toEqual([claims.username]);
  });

  it('is read-only for a read-only member, and an admin’s may break locks', async () => {
    world = await shareWorld();
    const w = world;
    const noah = (await access(w, w.noah.token, w.photos.id)).json<BrowserAccess>();
    expect(noah.readonly).toBe(true);
    expect(verifiedClaims(w.node.id, noah.token, Math.floor(w.clock.now / 1000)).readonly).toBe(true);
    const admin = (await access(w, w.admin, w.music.id)).json<BrowserAccess>();
    expect(verifiedClaims(w.node.id, admin.token, Math.floor(w.clock.now / 1000))).toMatchObject({
      readonly: false,
      admin: true,
    });
  });

  it('lives no longer than mount credentials do when those are set shorter', async () => {
    world = await shareWorld({ HOMEPORT_DAV_CREDENTIAL_TTL: '5m' });
    const body = (await access(world, world.mia.token, world.photos.id)).json<BrowserAccess>();
    const claims = verifiedClaims(world.node.id, body.token, Math.floor(world.clock.now / 1000));
    expect(claims.expiresAt - claims.issuedAt).toBe(300);
  });

  it('ends when the user is disabled (the access-narrowing path)', async () => {
    world = await shareWorld();
    const w = world;
    const body = (await access(w, w.mia.token, w.photos.id)).json<BrowserAccess>();
    const { username } = verifiedClaims(w.node.id, body.token, Math.floor(w.clock.now / 1000));
    const disabled = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${w.mia.id}`,
      headers: bearer(w.admin),
      payload: { status: 'disabled' },
    });
    expect(disabled.statusCode).toBe(200);
    const revoked = await w.nas.revocations(w.node.id, w.nodeToken);
    expect(revoked.json<{ ids: string[] }>().ids).toContain(username);
  });

  it('refuses the signed-out, an export not shared with the member (as if unknown), and an offline node', async () => {
    world = await shareWorld({ HOMEPORT_NODE_OFFLINE_THRESHOLD: '10s' });
    const w = world;
    const anonymous = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/exports/${w.photos.id}/browser-access`,
    });
    expect(anonymous.statusCode).toBe(401);
    const hidden = await access(w, w.olga.token, w.photos.id);
    const unknown = await access(w, w.olga.token, 'exp_nothing');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ error: { code: 'export_not_found' } });
    expect(unknown.statusCode).toBe(404);
    expect((await access(w, w.noah.token, w.music.id)).statusCode).toBe(404);

    w.clock.now += 60_000;
    const offline = await access(w, w.mia.token, w.photos.id);
    expect(offline.statusCode).toBe(503);
    expect(offline.json()).toMatchObject({ error: { code: 'node_offline' } });
  });

  it('refuses an export on a betterNAS agent’s node, which verifies only its own credentials', async () => {
    world = await shareWorld({ BETTERNAS_DAV_AUTH_SECRET: 'betternas-secret-0123456789abcdef' });
    const w = world;
    const { node, nodeToken } = await w.nas.register(undefined, 'machine-b', 'betternas');
    const [legacy] = (
      await w.nas.sync(node.id, nodeToken, [
        {
          label: 'Legacy',
          path: '/srv/legacy',
          mountPath: '/dav/legacy/',
          protocols: ['webdav'],
          capacityBytes: null,
          tags: [],
        },
      ])
    ).json() as { id: string }[];
    const refused = await access(w, w.admin, legacy?.id ?? '');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'agent_unsupported' } });
  });
});
