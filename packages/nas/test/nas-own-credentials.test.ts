// A user's own mount credentials over HTTP: listing them, revoking one or all, and what members may not
// reach (other people's credentials, by listing or by id).

import { exportInput, NAS_CLIENT_TOKEN, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

let t: TestHomeport;
let now = Date.now();
afterEach(async () => {
  await t?.close();
});
const nas = nasHarness(() => t);

/** An admin, a node with two exports, and two members (mia, noah) both granted Photos read-write. */
async function setup() {
  now = Date.now();
  t = await buildNasHomeport({ clock: () => now, env: nasEnv() });
  const admin = await t.login();
  const { node, nodeToken } = await nas.register();
  const [photos, music] = (
    await nas.sync(node.id, nodeToken, [
      exportInput('/srv/photos', 'Photos'),
      exportInput('/srv/music', 'Music'),
    ])
  ).json() as { id: string }[];
  if (!photos || !music) throw new Error('sync failed');
  const mia = await nas.member(admin, 'mia');
  const noah = await nas.member(admin, 'noah');
  for (const [exportId, user] of [
    [photos.id, 'mia'],
    [music.id, 'mia'],
    [photos.id, 'noah'],
  ] as const) {
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${exportId}/grants/${user}`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
  }
  return { admin, node, nodeToken, photos, music, mia, noah };
}

const usernameOf = (response: { json(): unknown }) =>
  (response.json() as { credential: { username: string } }).credential.username;

describe('GET /api/v1/mount-credentials/mine', () => {
  it("lists the signed-in user's own outstanding credentials, newest first, with the export's label and no password", async () => {
    const { admin, photos, music, mia, noah } = await setup();
    const first = usernameOf(await nas.issue(mia.token, photos.id));
    now += 1000;
    const second = usernameOf(await nas.issue(mia.token, music.id, true));
    await nas.issue(noah.token, photos.id);
    await nas.issue(admin, photos.id);

    const response = await t.app.inject({
      url: '/api/v1/mount-credentials/mine',
      headers: bearer(mia.token),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const { credentials } = response.json() as { credentials: Record<string, unknown>[] };
    expect(credentials.map((credential) => credential.username)).toEqual([second, first]);
    expect(credentials[0]).toMatchObject({ exportId: music.id, exportLabel: 'Music', readonly: true });
    expect(credentials[1]).toMatchObject({ exportId: photos.id, exportLabel: 'Photos', readonly: false });
    expect(Object.keys(credentials[0] ?? {}).sort()).toEqual([
      'expiresAt',
      'exportId',
      'exportLabel',
      'issuedAt',
      'readonly',
      'username',
    ]);
    // Admins see their own here too (the full list stays at GET /api/v1/mount-credentials).
    expect(await nas.mine(admin)).toHaveLength(1);
  });

  it('leaves out revoked and expired credentials', async () => {
    const { photos, mia } = await setup();
    const revoked = usernameOf(await nas.issue(mia.token, photos.id));
    expect((await nas.revokeOne(mia.token, revoked)).json()).toEqual({ revoked: 1 });
    const kept = usernameOf(await nas.issue(mia.token, photos.id));
    expect((await nas.mine(mia.token)).map((credential) => credential.username)).toEqual([kept]);
    now += 24 * 3600 * 1000 + 1000;
    expect(await nas.mine(mia.token)).toEqual([]);
  });

  it('needs a signed-in user: anonymous and the static client token get 401', async () => {
    await setup();
    expect((await t.app.inject({ url: '/api/v1/mount-credentials/mine' })).statusCode).toBe(401);
    const client = await t.app.inject({
      url: '/api/v1/mount-credentials/mine',
      headers: bearer(NAS_CLIENT_TOKEN),
    });
    expect(client.statusCode).toBe(401);
  });
});

describe('POST /api/v1/mount-credentials/{username}/revoke', () => {
  it('revokes one of my own credentials; the agent learns it; a second call revokes nothing', async () => {
    const { node, nodeToken, photos, mia } = await setup();
    const one = usernameOf(await nas.issue(mia.token, photos.id));
    const other = usernameOf(await nas.issue(mia.token, photos.id));
    const revoked = await nas.revokeOne(mia.token, one);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ revoked: 1 });
    expect((await nas.revocations(node.id, nodeToken)).json().ids).toEqual([one]);
    expect((await nas.mine(mia.token)).map((credential) => credential.username)).toEqual([other]);
    expect((await nas.revokeOne(mia.token, one)).json()).toEqual({ revoked: 0 });
  });

  it("a member cannot revoke someone else's credential: 404 as for an unknown id, and it stays valid", async () => {
    const { admin, node, nodeToken, photos, mia, noah } = await setup();
    const noahs = usernameOf(await nas.issue(noah.token, photos.id));
    const admins = usernameOf(await nas.issue(admin, photos.id));
    for (const username of [noahs, admins, 'mount-doesnotexist']) {
      const refused = await nas.revokeOne(mia.token, username);
      expect(refused.statusCode).toBe(404);
      expect(refused.json().error.code).toBe('credential_not_found');
      expect(refused.json().error.message).toBe(`No mount credential "${username}"`);
    }
    expect((await nas.revocations(node.id, nodeToken)).json().ids).toEqual([]);
    const all = await nas.get<{ credentials: { username: string }[] }>(admin, '/api/v1/mount-credentials');
    expect(all.body.credentials.map((credential) => credential.username).sort()).toEqual(
      [admins, noahs].sort(),
    );
    // Nor can a member read them: the admin listing stays admin-only.
    expect((await nas.get(mia.token, '/api/v1/mount-credentials')).status).toBe(403);
  });

  it("an admin may revoke anyone's credential by its id", async () => {
    const { admin, photos, noah } = await setup();
    const noahs = usernameOf(await nas.issue(noah.token, photos.id));
    expect((await nas.revokeOne(admin, noahs)).json()).toEqual({ revoked: 1 });
    expect(await nas.mine(noah.token)).toEqual([]);
  });

  it('refuses ids that are not credential ids with 400, anonymous callers with 401', async () => {
    const { mia } = await setup();
    for (const username of ['admin', 'mount-', 'mount-a.b', 'mount-%2e%2e', `mount-${'a'.repeat(64)}`]) {
      const response = await nas.revokeOne(mia.token, username);
      expect(response.statusCode, username).toBe(400);
    }
    // A dot segment never reaches the route at all.
    expect((await nas.revokeOne(mia.token, '..')).statusCode).toBe(404);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mount-credentials/mount-abc/revoke',
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('POST /api/v1/mount-credentials/mine/revoke', () => {
  it("revokes all of my own credentials, or one export's, and no one else's", async () => {
    const { admin, photos, music, mia, noah } = await setup();
    await nas.issue(mia.token, photos.id);
    await nas.issue(mia.token, photos.id, true);
    const musicCredential = usernameOf(await nas.issue(mia.token, music.id));
    await nas.issue(noah.token, photos.id);
    const revokeMine = (payload: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/mount-credentials/mine/revoke',
        headers: bearer(mia.token),
        payload,
      });

    expect((await revokeMine({ exportId: photos.id })).json()).toEqual({ revoked: 2 });
    expect((await nas.mine(mia.token)).map((credential) => credential.username)).toEqual([musicCredential]);
    expect((await revokeMine({})).json()).toEqual({ revoked: 1 });
    expect(await nas.mine(mia.token)).toEqual([]);
    expect(await nas.mine(noah.token)).toHaveLength(1);
    expect(
      (await nas.get<{ credentials: unknown[] }>(admin, '/api/v1/mount-credentials')).body.credentials,
    ).toHaveLength(1);
    // Someone else's user id is not a field here: it is dropped, and noah keeps his credential.
    await nas.issue(mia.token, photos.id);
    expect((await revokeMine({ userId: 'noah' })).json()).toEqual({ revoked: 1 });
    expect(await nas.mine(noah.token)).toHaveLength(1);
  });
});
