// POST /api/v1/public/shares/:id/open: what an anonymous visitor gets for a link (a scoped credential the
// node's key verifies), and every way a link refuses to open — all alike where they must not be told apart.

import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SHARE_CREDENTIALS } from '../src/control/credential-service.js';
import { SHARE_OPENS_PER_MINUTE } from '../src/control/routes/share-routes.js';
import { bearer } from './support/homeport.js';
import {
  advance,
  madeShare,
  openShare,
  revokedIds,
  type ShareWorld,
  shareWorld,
  verifiedClaims,
} from './support/shares.js';

let world: ShareWorld | undefined;
afterEach(async () => {
  await world?.t.close();
  world = undefined;
});

interface ShareAccess {
  baseUrl: string;
  token: string;
  expiresAt: string;
  mode: string;
  name: string;
  kind: string;
  path: string;
}

const seconds = (w: ShareWorld) => Math.floor(w.clock.now / 1000);
const usernameOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { u: string }).u;

describe('opening a share link', () => {
  it('gives an hour of scoped, read-only access to the item, verified with the node key, and counts the opening', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/Holidays/2026',
      kind: 'folder',
      mode: 'view',
    });
    const response = await openShare(w, link.id, { secret: link.secret });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<ShareAccess>();
    expect(body).toMatchObject({
      baseUrl: 'http://127.0.0.1:8090/dav/photos/',
      mode: 'view',
      name: '2026',
      kind: 'folder',
      path: '/Holidays/2026',
    });
    const claims = verifiedClaims(w.node.id, body.token, seconds(w));
    expect(claims).toMatchObject({
      exportId: w.photos.id,
      readonly: true,
      admin: false,
      scope: { path: '/Holidays/2026', mode: 'view' },
    });
    expect(claims.username).toMatch(/^share-[A-Za-z0-9_-]{12}$/);
    expect(claims.expiresAt - claims.issuedAt).toBe(3600);
    expect(Date.parse(body.expiresAt) / 1000).toBe(claims.expiresAt);
    // Nobody holds it: it is not the creator's credential. Admins see which link it came through.
    expect(await w.nas.mine(w.mia.token)).toEqual([]);
    const outstanding = await w.t.app.inject({ url: '/api/v1/mount-credentials', headers: bearer(w.admin) });
    expect(outstanding.json<{ credentials: unknown[] }>().credentials).toEqual([
      expect.objectContaining({ username: claims.username, userId: null, shareId: link.id }),
    ]);

    const drop = await madeShare(w, w.admin, w.music.id, { path: '/', kind: 'folder', mode: 'drop' });
    const dropped = (await openShare(w, drop.id, { secret: drop.secret })).json<ShareAccess>();
    expect(dropped).toMatchObject({ mode: 'drop', name: 'Music', path: '/' });
    expect(verifiedClaims(w.node.id, dropped.token, seconds(w)).scope).toEqual({ path: '/', mode: 'drop' });

    const listed = await w.t.app.inject({ url: '/api/v1/shares', headers: bearer(w.mia.token) });
    expect(listed.json<{ shares: { opens: number; lastOpenedAt: string }[] }>().shares[0]).toMatchObject({
      opens: 1,
      lastOpenedAt: expect.any(String),
    });
  });

  it('never gives access past the link’s own expiry', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/a.txt',
      kind: 'file',
      mode: 'view',
      expiresInDays: 1,
    });
    const linkExpiry = seconds(w) + 86_400;
    await advance(w, 86_400_000 - 600_000);
    const body = (await openShare(w, link.id, { secret: link.secret })).json<ShareAccess>();
    expect(verifiedClaims(w.node.id, body.token, seconds(w)).expiresAt).toBe(linkExpiry);
    await advance(w, 600_000);
    expect((await openShare(w, link.id, { secret: link.secret })).statusCode).toBe(404);
  });

  it('answers an unknown id, a wrong secret, an expired and a revoked link with the same 404', async () => {
    world = await shareWorld();
    const w = world;
    const live = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    const expired = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/b',
      kind: 'folder',
      mode: 'view',
      expiresInDays: 1,
    });
    const revoked = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/c',
      kind: 'folder',
      mode: 'view',
    });
    await w.t.app.inject({
      method: 'DELETE',
      url: `/api/v1/shares/${revoked.id}`,
      headers: bearer(w.mia.token),
    });
    await advance(w, 86_400_000);

    const answers = [
      await openShare(w, 'shr_AAAAAAAAAAAAAAAAAAAAAA', { secret: live.secret }),
      // The last character changed (to one it is not: a fixed 'A' was the secret itself 1 time in 64).
      await openShare(w, live.id, {
        secret: `${live.secret.slice(0, -1)}${live.secret.endsWith('A') ? 'B' : 'A'}`,
      }),
      await openShare(w, live.id, { secret: expired.secret }),
      await openShare(w, expired.id, { secret: expired.secret }),
      await openShare(w, revoked.id, { secret: revoked.secret }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toEqual(answers[0]?.json());
    }
    expect(answers[0]?.json()).toMatchObject({ error: { code: 'share_not_found' } });
    expect((await openShare(w, live.id, { secret: live.secret })).statusCode).toBe(200);
    // Malformed requests are refused before any lookup.
    expect((await openShare(w, live.id, {})).statusCode).toBe(400);
    expect((await openShare(w, '../../exports', { secret: live.secret })).statusCode).toBe(400);
  });

  it('asks for a password, refuses a wrong one, and opens with the right one', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, {
      path: '/a',
      kind: 'folder',
      mode: 'view',
      password: 'open sesame',
    });
    const none = await openShare(w, link.id, { secret: link.secret });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'share_password_required' } });
    const wrong = await openShare(w, link.id, { secret: link.secret, password: 'open sesame!' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'share_password_wrong' } });
    // A wrong secret with the right password is still the 404: the password is asked only after the secret.
    const wrongSecret = await openShare(w, link.id, { secret: 'x'.repeat(43), password: 'open sesame' });
    expect(wrongSecret.statusCode).toBe(404);
    expect((await openShare(w, link.id, { secret: link.secret, password: 'open sesame' })).statusCode).toBe(
      200,
    );
    expect(JSON.stringify(w.t.logs)).not.toContain('open sesame');
  });

  it('throttles wrong passwords per link and per address: 429 with Retry-After, even for the right one, until the window ends', async () => {
    world = await shareWorld();
    const w = world;
    const body = { kind: 'folder', mode: 'view', password: 'the password' };
    const a = await madeShare(w, w.mia.token, w.photos.id, { ...body, path: '/a' });
    const b = await madeShare(w, w.mia.token, w.photos.id, { ...body, path: '/b' });
    for (let i = 0; i < 5; i++) {
      const wrong = await openShare(w, a.id, { secret: a.secret, password: `guess ${i}` }, '198.51.100.1');
      expect(wrong.statusCode).toBe(401);
    }
    const throttled = await openShare(
      w,
      a.id,
      { secret: a.secret, password: 'the password' },
      '198.51.100.1',
    );
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ error: { code: 'share_password_throttled' } });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(800);
    // Per link: another address is held back on this link too…
    expect(
      (await openShare(w, a.id, { secret: a.secret, password: 'the password' }, '203.0.113.2')).statusCode,
    ).toBe(429);
    // …and per address: this address is held back on another link.
    expect(
      (await openShare(w, b.id, { secret: b.secret, password: 'the password' }, '198.51.100.1')).statusCode,
    ).toBe(429);
    expect(
      (await openShare(w, b.id, { secret: b.secret, password: 'the password' }, '203.0.113.2')).statusCode,
    ).toBe(200);
    await advance(w, 15 * 60_000);
    expect(
      (await openShare(w, a.id, { secret: a.secret, password: 'the password' }, '198.51.100.1')).statusCode,
    ).toBe(200);
  });

  it(`keeps at most ${MAX_SHARE_CREDENTIALS} outstanding credentials per link`, async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    // Spread over addresses, each within its rate limit.
    const ip = (i: number) => `198.51.100.${Math.floor(i / SHARE_OPENS_PER_MINUTE) + 20}`;
    for (let i = 0; i < MAX_SHARE_CREDENTIALS; i++)
      expect((await openShare(w, link.id, { secret: link.secret }, ip(i))).statusCode).toBe(200);
    const over = await openShare(w, link.id, { secret: link.secret }, ip(MAX_SHARE_CREDENTIALS));
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: { code: 'too_many_credentials' } });
    // They expire within the hour, and the link opens again.
    await advance(w, 3_600_000);
    expect((await openShare(w, link.id, { secret: link.secret }, '203.0.113.50')).statusCode).toBe(200);
  }, 60_000);

  it(`holds one address to ${SHARE_OPENS_PER_MINUTE} openings a minute`, async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    for (let i = 0; i < SHARE_OPENS_PER_MINUTE; i++)
      expect((await openShare(w, link.id, { secret: link.secret }, '198.51.100.9')).statusCode).toBe(200);
    const limited = await openShare(w, link.id, { secret: link.secret }, '198.51.100.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await openShare(w, link.id, { secret: link.secret }, '198.51.100.10')).statusCode).toBe(200);
  });
});

describe('a link lives on its creator’s access', () => {
  it('stops opening when the creator is disabled, and what it gave is revoked', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    const token = (await openShare(w, link.id, { secret: link.secret })).json<ShareAccess>().token;
    const disabled = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${w.mia.id}`,
      headers: bearer(w.admin),
      payload: { status: 'disabled' },
    });
    expect(disabled.statusCode).toBe(200);
    expect(await revokedIds(w)).toContain(usernameOf(token));
    const refused = await openShare(w, link.id, { secret: link.secret });
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ error: { code: 'share_not_found' } });
  });

  it('stops opening when the creator may no longer write the export, and what it gave is revoked', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.mia.token, w.photos.id, { path: '/a', kind: 'folder', mode: 'view' });
    const token = (await openShare(w, link.id, { secret: link.secret })).json<ShareAccess>().token;
    const narrowed = await w.t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${w.photos.id}/grants/mia`,
      headers: bearer(w.admin),
      payload: { access: 'read-only' },
    });
    expect(narrowed.statusCode).toBe(200);
    expect(await revokedIds(w)).toContain(usernameOf(token));
    expect((await openShare(w, link.id, { secret: link.secret })).statusCode).toBe(404);
    await w.t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${w.photos.id}/grants/mia`,
      headers: bearer(w.admin),
      payload: { access: 'read-write' },
    });
    expect((await openShare(w, link.id, { secret: link.secret })).statusCode).toBe(200);
  });

  it('stops opening when a narrower default access takes the creator’s write access, and what it gave is revoked', async () => {
    world = await shareWorld();
    const w = world;
    const setDefault = (defaultAccess: string) =>
      w.t.app.inject({
        method: 'PUT',
        url: '/api/v1/nas/settings',
        headers: bearer(w.admin),
        payload: { defaultAccess },
      });
    expect((await setDefault('read-write')).statusCode).toBe(200);
    // Olga has no grant: she writes Music through the default access only; Mia has her own grant.
    const olgas = await madeShare(w, w.olga.token, w.music.id, { path: '/a', kind: 'folder', mode: 'view' });
    const mias = await madeShare(w, w.mia.token, w.music.id, { path: '/b', kind: 'folder', mode: 'view' });
    const olgaToken = (await openShare(w, olgas.id, { secret: olgas.secret })).json<ShareAccess>().token;
    const miaToken = (await openShare(w, mias.id, { secret: mias.secret })).json<ShareAccess>().token;

    expect((await setDefault('read-only')).statusCode).toBe(200);
    const revoked = await revokedIds(w);
    expect(revoked).toContain(usernameOf(olgaToken));
    expect(revoked).not.toContain(usernameOf(miaToken));
    expect((await openShare(w, olgas.id, { secret: olgas.secret })).statusCode).toBe(404);
    expect((await openShare(w, mias.id, { secret: mias.secret })).statusCode).toBe(200);
  });

  it('stops opening once its export is gone', async () => {
    world = await shareWorld();
    const w = world;
    const link = await madeShare(w, w.admin, w.music.id, { path: '/a', kind: 'folder', mode: 'view' });
    const photosOnly = (await w.nas.sync(w.node.id, w.nodeToken, [
      {
        label: 'Photos',
        path: '/srv/photos',
        mountPath: '/dav/photos/',
        protocols: ['webdav'],
        capacityBytes: null,
        tags: [],
      },
    ])) as { statusCode: number };
    expect(photosOnly.statusCode).toBe(200);
    const refused = await openShare(w, link.id, { secret: link.secret });
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ error: { code: 'share_not_found' } });
    const listed = await w.t.app.inject({ url: '/api/v1/shares', headers: bearer(w.admin) });
    expect(listed.json<{ shares: { exportLabel: string | null }[] }>().shares[0]?.exportLabel).toBeNull();
  });
});
