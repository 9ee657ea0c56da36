// What members see of nodes and exports: names, status and space, never where a node is (its addresses,
// its machine id) or where a folder lives on it. Admins and the static client token (betterNAS) see all.

import { exportInput, NAS_CLIENT_TOKEN, nasEnv, nasHarness, registration } from '@homeport/nas/testing';
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
  const { node, nodeToken } = await nas.register();
  const [photos] = (
    await nas.sync(node.id, nodeToken, [exportInput('/srv/secret-photos', 'Photos')])
  ).json() as {
    id: string;
  }[];
  if (!photos) throw new Error('sync failed');
  const mia = await nas.member(admin, 'mia');
  await t.app.inject({
    method: 'PUT',
    url: `/api/v1/exports/${photos.id}/grants/mia`,
    headers: bearer(admin),
    payload: { access: 'read-only' },
  });
  return { admin, node, nodeToken, photos, mia };
}

describe('member view', () => {
  it('members get nodes without machine id or addresses, and exports without their path', async () => {
    const { node, photos, mia } = await setup();
    const nodes = await nas.get<Record<string, unknown>[]>(mia.token, '/api/v1/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.body).toEqual([
      {
        id: node.id,
        agentKind: 'homeport',
        displayName: 'Basement NAS',
        agentVersion: '0.1.0',
        status: 'online',
        lastSeenAt: expect.any(String),
        directAddress: null,
        relayAddress: null,
      },
    ]);
    const exports = await nas.get<Record<string, unknown>[]>(mia.token, '/api/v1/exports');
    expect(exports.body).toHaveLength(1);
    expect(exports.body[0]).toMatchObject({ id: photos.id, label: 'Photos', access: 'read-only' });
    expect(exports.body[0]).not.toHaveProperty('path');
    // Not anywhere in the bytes either (a field renamed later must not leak it).
    for (const secret of [registration().machineId, registration().directAddress, '/srv/secret-photos']) {
      expect(nodes.raw).not.toContain(secret);
      expect(exports.raw).not.toContain(secret);
    }
  });

  it('the mount profile still carries the address a member mounts from', async () => {
    const { photos, mia } = await setup();
    const profile = (await nas.issue(mia.token, photos.id)).json() as { mountUrl: string };
    expect(profile.mountUrl).toBe(`${registration().directAddress}/dav/photos/`);
  });

  it('admins and the static client token (betterNAS) keep the full view', async () => {
    const { admin } = await setup();
    for (const token of [admin, NAS_CLIENT_TOKEN]) {
      const nodes = await nas.get<Record<string, unknown>[]>(token, '/api/v1/nodes');
      expect(nodes.body[0]).toMatchObject({
        machineId: registration().machineId,
        directAddress: registration().directAddress,
      });
      const exports = await nas.get<Record<string, unknown>[]>(token, '/api/v1/exports');
      expect(exports.body[0]).toMatchObject({ path: '/srv/secret-photos' });
    }
  });

  it('the live node status events carry no address', async () => {
    const { node, nodeToken, mia } = await setup();
    const seen: unknown[] = [];
    t.homeport.events.subscribe(['nas.nodes'], (event) => seen.push(event.data));
    await nas.register(nodeToken);
    expect(JSON.stringify(seen)).not.toContain(registration().directAddress);
    expect((await nas.get(mia.token, `/api/v1/nodes`)).raw).toContain(node.id);
  });
});
