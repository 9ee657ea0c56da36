// Share links on the control plane: who may create one and for what (paths, kinds, modes, expiry,
// password, quota), listing them, and revoking them — with every refusal.

import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ACTIVE_SHARES } from '../src/control/share-service.js';
import { bearer } from './support/homeport.js';
import {
  advance,
  type CreatedShare,
  createShare,
  madeShare,
  openShare,
  revokedIds,
  type ShareWorld,
  shareWorld,
} from './support/shares.js';

let world: ShareWorld | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

const list = async (w: ShareWorld, token: string, all = false) => {
  const response = await w.t.app.inject({
    url: `/api/v1/shares${all ? '?all=1' : ''}`,
    headers: bearer(token),
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ shares: (CreatedShare['share'] & Record<string, unknown>)[] }>().shares;
};

const revoke = (w: ShareWorld, token: string, id: string) =>
  w.t.app.inject({
    method: 'DELETE',
    url: `/api/v1/shares/${encodeURIComponent(id)}`,
    headers: bearer(token),
  });

describe('POST /api/v1/exports/:id/shares', () => {
  it('creates a link whose URL carries its secret in the fragment, shown once and stored only as a hash', async () => {
    world = await shareWorld();
    const w = world;
    const response = await createShare(w, w.mia.token, w.photos.id, {
      path: 'Holidays/2026/',
      kind: 'folder',
      mode: 'view',
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const { share, url } = response.json<CreatedShare & { share: Record<string, unknown> }>();
    expect(url).toMatch(new RegExp(`^/s/${share.id}#[A-Za-z0-9_-]{43}$`));
    expect(share).toMatchObject({
      id: expect.stringMatching(/^shr_[A-Za-z0-9_-]{16}$/),
      exportId: w.photos.id,
      exportLabel: 'Photos',
      path: '/Holidays/2026',
      name: '2026',
      kind: 'folder',
      mode: 'view',
      hasPassword: false,
      createdBy: w.mia.id,
      status: 'active',
      opens: 0,
      revokedAt: null,
    });
    // Seven days by default (whole seconds).
    expect(Date.parse(share.expiresAt as string)).toBe(
      Math.floor(w.clock.now / 1000) * 1000 + 7 * 86_400_000,
    );
    const secret = url.split('#')[1] ?? '';
    const listed = await list(w, w.mia.token);
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(JSON.stringify(w.t.logs)).not.toContain(secret);
  });

  it('uses HOMEPORT_PUBLIC_URL for the link when set', async () => {
    world = await shareWorld({ HOMEPORT_PUBLIC_URL: 'https://nas.example.org/' });
    const w = world;
    const response = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/exports/${w.photos.id}/shares`,
      headers: { ...bearer(w.mia.token), host: 'nas.example.org' },
      payload: { path: '/a.txt', kind: 'file', mode: 'view', expiresInDays: 90 },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json<CreatedShare>().url).toMatch(/^https:\/\/nas\.example\.org\/s\/shr_[^#]+#/);
  });

  it('lets an admin share any export, and a member only one they may write', async () => {
    world = await shareWorld();
    const w = world;
    expect(
      (await createShare(w, w.admin, w.music.id, { path: '/', kind: 'folder', mode: 'drop' })).statusCode,
    ).toBe(201);
    const readOnly = await createShare(w, w.noah.token, w.photos.id, {
      path: '/a',
      kind: 'folder',
      mode: 'view',
    });
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json()).toMatchObject({ error: { code: 'share_forbidden' } });
    const hidden = await createShare(w, w.olga.token, w.photos.id, {
      path: '/a',
      kind: 'folder',
      mode: 'view',
    });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json()).toMatchObject({ error: { code: 'export_not_found' } });
    const unknown = await createShare(w, w.mia.token, 'exp_nothing', {
      path: '/a',
      kind: 'folder',
      mode: 'view',
    });
    expect(unknown.statusCode).toBe(404);
    const anonymous = await w.t.app.inject({
      method: 'POST',
      url: `/api/v1/exports/${w.photos.id}/shares`,
      payload: { path: '/a', kind: 'folder', mode: 'view' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses a file drop on a file, a file at the root, and out-of-range expiry or password', async () => {
    world = await shareWorld();
    const w = world;
    const cases: [Record<string, unknown>, string][] = [
      [{ path: '/a.txt', kind: 'file', mode: 'drop' }, 'invalid_request'],
      [{ path: '/', kind: 'file', mode: 'view' }, 'invalid_request'],
      [{ path: '/a', kind: 'folder', mode: 'view', expiresInDays: 91 }, 'invalid_request'],
      [{ path: '/a', kind: 'folder', mode: 'view', expiresInDays: 0 }, 'invalid_request'],
      [{ path: '/a', kind: 'folder', mode: 'view', password: 'short' }, 'invalid_request'],
      [{ path: '/a', kind: 'folder', mode: 'edit' }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const response = await createShare(w, w.mia.token, w.photos.id, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json(), JSON.stringify(body)).toMatchObject({ error: { code } });
    }
    expect(await list(w, w.mia.token)).toEqual([]);
  });

  it('refuses every path that is not a canonical item of the export (the traversal corpus)', async () => {
    world = await shareWorld();
    const w = world;
    const corpus = [
      '..',
      '/..',
      '/../etc',
      '/a/../../b',
      '/a/..',
      '/./a',
      '/a/.',
      '.',
      '//a',
      '/a//b',
      '/a\\..\\b',
      '\\a',
      '/a\u0000b',
      '//',
      `/${'x'.repeat(1100)}`,
    ];
    for (const path of corpus) {
      const response = await createShare(w, w.mia.token, w.photos.id, { path, kind: 'folder', mode: 'view' });
      expect(response.statusCode, JSON.stringify(path)).toBe(400);
    }
    // Encoded forms are names, not escapes: the path is decoded text, and the agent encodes it again.
    const encoded = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/%2e%2e',
      kind: 'folder',
      mode: 'view',
    });
    expect(encoded.share.path).toBe('/%2e%2e');
    expect(await list(w, w.mia.token)).toHaveLength(1);
  });

  it(`holds a user to ${MAX_ACTIVE_SHARES} active links; revoked ones do not count`, async () => {
    world = await shareWorld();
    const w = world;
    const ids: string[] = [];
    for (let i = 0; i < MAX_ACTIVE_SHARES; i++)
      ids.push(
        (await madeShare(w, w.mia.token, w.photos.id, { path: `/f${i}`, kind: 'folder', mode: 'view' })).id,
      );
    const over = await createShare(w, w.mia.token, w.photos.id, {
      path: '/one-more',
      kind: 'folder',
      mode: 'view',
    });
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: { code: 'too_many_shares' } });
    // Another user's quota is their own.
    expect(
      (await createShare(w, w.admin, w.photos.id, { path: '/x', kind: 'folder', mode: 'view' })).statusCode,
    ).toBe(201);
    expect((await revoke(w, w.mia.token, ids[0] ?? '')).statusCode).toBe(204);
    expect(
      (await createShare(w, w.mia.token, w.photos.id, { path: '/one-more', kind: 'folder', mode: 'view' }))
        .statusCode,
    ).toBe(201);
  }, 60_000);

  it('refuses an export on a betterNAS agent’s node', async () => {
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
    const refused = await createShare(w, w.admin, legacy?.id ?? '', {
      path: '/a',
      kind: 'folder',
      mode: 'view',
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'agent_unsupported' } });
  });
});

describe('GET /api/v1/shares', () => {
  it('lists one’s own links newest first; only an admin sees everyone’s, with ?all=1', async () => {
    world = await shareWorld();
    const w = world;
    const first = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    await advance(w, 1000);
    const second = await madeShare(w, w.mia.token, w.music.id, {
      path: '/b.mp3',
      kind: 'file',
      mode: 'view',
      password: 'a long password',
    });
    await advance(w, 1000);
    const admins = await madeShare(w, w.admin, w.photos.id, { path: '/', kind: 'folder', mode: 'drop' });

    const mine = await list(w, w.mia.token);
    expect(mine.map((share) => share.id)).toEqual([second.id, first.id]);
    expect(mine[0]).toMatchObject({ hasPassword: true, exportLabel: 'Music', name: 'b.mp3' });
    expect(JSON.stringify(mine)).not.toMatch(/argon2|secretHash|passwordHash/);
    // A member asking for all gets their own.
    expect((await list(w, w.mia.token, true)).map((share) => share.id)).toEqual([second.id, first.id]);
    expect((await list(w, w.admin)).map((share) => share.id)).toEqual([admins.id]);
    expect((await list(w, w.admin, true)).map((share) => share.id)).toEqual([admins.id, second.id, first.id]);
    expect((await list(w, w.admin, true))[0]).toMatchObject({ name: 'Photos', path: '/' });
  });

  it('shows expired and revoked links as such', async () => {
    world = await shareWorld();
    const w = world;
    const short = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/a',
      kind: 'folder',
      mode: 'view',
      expiresInDays: 1,
    });
    const revoked = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/b',
      kind: 'folder',
      mode: 'view',
    });
    await revoke(w, w.mia.token, revoked.id);
    await advance(w, 86_400_000);
    const byId = new Map((await list(w, w.mia.token)).map((share) => [share.id, share]));
    expect(byId.get(short.id)).toMatchObject({ status: 'expired' });
    expect(byId.get(revoked.id)).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });
});

describe('DELETE /api/v1/shares/:id', () => {
  it('revokes at once: the link stops opening and the access it gave is revoked on the node', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    const opened = await openShare(w, link.id, { secret: link.secret });
    expect(opened.statusCode).toBe(200);
    const token = opened.json<{ token: string }>().token;
    const username = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).u as string;
    expect(await revokedIds(w)).toEqual([]);

    expect((await revoke(w, w.mia.token, link.id)).statusCode).toBe(204);
    expect(await revokedIds(w)).toEqual([username]);
    const again = await openShare(w, link.id, { secret: link.secret });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ error: { code: 'share_not_found' } });
    // Revoking again is harmless.
    expect((await revoke(w, w.mia.token, link.id)).statusCode).toBe(204);
  });

  it('lets an admin revoke anyone’s link; another member’s reads as unknown', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    const other = await revoke(w, w.noah.token, link.id);
    const unknown = await revoke(w, w.noah.token, 'shr_AAAAAAAAAAAAAAAA');
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual(unknown.json());
    expect((await openShare(w, link.id, { secret: link.secret })).statusCode).toBe(200);
    expect((await revoke(w, w.admin, link.id)).statusCode).toBe(204);
    expect((await openShare(w, link.id, { secret: link.secret })).statusCode).toBe(404);
    expect((await revoke(w, w.noah.token, 'not-a-share-id')).statusCode).toBe(400);
  });
});
