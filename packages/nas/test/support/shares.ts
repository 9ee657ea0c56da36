// What the share-link and browser-access tests share: a control plane with a node, two exports and members,
// the routes as calls, and a credential's claims read and verified with the node's key.

import { exportInput, NAS_DAV_SECRET, nasEnv, nasHarness } from '@homeport/nas/testing';
import { nodeDavKey, verifyMountCredential } from '../../src/credentials/mount-credential.js';
import { bearer, buildNasHomeport, type TestHomeport } from './homeport.js';

export interface ShareWorld {
  t: TestHomeport;
  admin: string;
  node: { id: string };
  nodeToken: string;
  photos: { id: string; label: string };
  music: { id: string; label: string };
  /** Read-write on Photos and Music. */
  mia: { id: string; token: string };
  /** Read-only on Photos. */
  noah: { id: string; token: string };
  /** No access to anything. */
  olga: { id: string; token: string };
  nas: ReturnType<typeof nasHarness>;
  clock: { now: number };
}

/** A control plane (clock movable through `world.clock.now`), one Homeport node, Photos and Music, three members. */
export async function shareWorld(env: Record<string, string> = {}): Promise<ShareWorld> {
  const clock = { now: Date.now() };
  let t: TestHomeport | undefined;
  const nas = nasHarness(() => {
    if (!t) throw new Error('no Homeport');
    return t;
  });
  t = await buildNasHomeport({ clock: () => clock.now, env: nasEnv(env) });
  const admin = await t.login();
  const { node, nodeToken } = await nas.register();
  const [photos, music] = (
    await nas.sync(node.id, nodeToken, [
      exportInput('/srv/photos', 'Photos'),
      exportInput('/srv/music', 'Music'),
    ])
  ).json() as { id: string; label: string }[];
  if (!photos || !music) throw new Error('sync failed');
  const mia = await nas.member(admin, 'mia');
  const noah = await nas.member(admin, 'noah');
  const olga = await nas.member(admin, 'olga');
  for (const [exportId, user, access] of [
    [photos.id, 'mia', 'read-write'],
    [music.id, 'mia', 'read-write'],
    [photos.id, 'noah', 'read-only'],
  ] as const) {
    const granted = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${exportId}/grants/${user}`,
      headers: bearer(admin),
      payload: { access },
    });
    if (granted.statusCode !== 200) throw new Error(`grant failed: ${granted.body}`);
  }
  return { t, admin, node, nodeToken, photos, music, mia, noah, olga, nas, clock };
}

export interface CreatedShare {
  share: { id: string; path: string; kind: string; mode: string; status: string; hasPassword: boolean };
  url: string;
}

/** POST /api/v1/exports/:id/shares. */
export function createShare(
  world: ShareWorld,
  token: string,
  exportId: string,
  body: Record<string, unknown>,
) {
  return world.t.app.inject({
    method: 'POST',
    url: `/api/v1/exports/${encodeURIComponent(exportId)}/shares`,
    headers: bearer(token),
    payload: body,
  });
}

/** Creates a link that must succeed; returns it with its id and secret. */
export async function madeShare(
  world: ShareWorld,
  token: string,
  exportId: string,
  body: Record<string, unknown>,
) {
  const response = await createShare(world, token, exportId, body);
  if (response.statusCode !== 201) throw new Error(`share failed: ${response.statusCode} ${response.body}`);
  const created = response.json<CreatedShare>();
  const secret = created.url.split('#')[1] ?? '';
  return { ...created, id: created.share.id, secret };
}

/** POST /api/v1/public/shares/:id/open, anonymously, from `ip`. */
export function openShare(
  world: ShareWorld,
  shareId: string,
  body: Record<string, unknown>,
  ip = '192.0.2.1',
) {
  return world.t.app.inject({
    method: 'POST',
    url: `/api/v1/public/shares/${encodeURIComponent(shareId)}/open`,
    remoteAddress: ip,
    payload: body,
  });
}

/** The claims a credential carries, verified with the node's key (key generation 1) at `nowSeconds`. */
export function verifiedClaims(nodeId: string, token: string, nowSeconds: number) {
  const payload = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
    u: string;
  };
  const check = verifyMountCredential(payload.u, token, {
    nodeId,
    nowSeconds,
    maxTtlSeconds: 86_400,
    keyFor: (keyId) => (keyId === 1 ? nodeDavKey(NAS_DAV_SECRET, nodeId, 1) : undefined),
  });
  if (!check.ok) throw new Error(`credential refused: ${check.reason}`);
  return check.claims;
}

/** Ids the node is told are revoked. */
export async function revokedIds(world: ShareWorld): Promise<string[]> {
  const response = await world.nas.revocations(world.node.id, world.nodeToken);
  return response.json<{ ids: string[] }>().ids;
}

/** Moves the control plane's clock, and lets the node heartbeat (so it stays online) at the new time. */
export async function advance(world: ShareWorld, ms: number): Promise<void> {
  world.clock.now += ms;
  const beat = await world.nas.heartbeat(world.node.id, world.nodeToken);
  if (beat.statusCode !== 204) throw new Error(`heartbeat failed: ${beat.statusCode}`);
}
