// Free and used space of exports: reported with the inventory (optional, betterNAS agents leave it out)
// and refreshed by heartbeats so it stays current; only the node's own exports are touched.

import { exportInput, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, buildNasHomeport, type TestHomeport } from './support/homeport.js';

let t: TestHomeport;
afterEach(async () => {
  await t?.close();
});
const nas = nasHarness(() => t);
const GB = 1_000_000_000;

async function setup() {
  t = await buildNasHomeport({ env: nasEnv() });
  const admin = await t.login();
  const { node, nodeToken } = await nas.register();
  return { admin, node, nodeToken };
}

const listed = async (token: string) =>
  (
    await nas.get<
      {
        id: string;
        label: string;
        capacityBytes: number | null;
        freeBytes: number | null;
        usedBytes: number | null;
      }[]
    >(token, '/api/v1/exports')
  ).body;

describe('export space', () => {
  it('keeps free and used space sent with the inventory; betterNAS inventories without them read null', async () => {
    const { admin, node, nodeToken } = await setup();
    const synced = await nas.sync(node.id, nodeToken, [
      {
        ...exportInput('/srv/a', 'A'),
        capacityBytes: 4 * GB,
        freeBytes: GB,
        usedBytes: 3 * GB,
      } as ReturnType<typeof exportInput>,
      exportInput('/srv/b', 'B'),
    ]);
    expect(synced.statusCode).toBe(200);
    const [a, b] = await listed(admin);
    expect(a).toMatchObject({ label: 'A', capacityBytes: 4 * GB, freeBytes: GB, usedBytes: 3 * GB });
    expect(b).toMatchObject({ label: 'B', capacityBytes: 1_000_000, freeBytes: null, usedBytes: null });
  });

  it('refuses negative, fractional or non-numeric space with 400', async () => {
    const { node, nodeToken } = await setup();
    for (const bad of [
      { freeBytes: -1 },
      { usedBytes: 1.5 },
      { freeBytes: 'lots' },
      { freeBytes: 2 ** 60 },
    ]) {
      const response = await nas.sync(node.id, nodeToken, [
        { ...exportInput('/srv/a', 'A'), ...bad } as ReturnType<typeof exportInput>,
      ]);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
    }
  });

  it('a heartbeat refreshes the space of the node’s own exports and ignores other nodes’ ids', async () => {
    const { admin, node, nodeToken } = await setup();
    const [a] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/a', 'A')])).json() as { id: string }[];
    const other = await nas.register(undefined, 'machine-2');
    const [theirs] = (
      await nas.sync(other.node.id, other.nodeToken, [exportInput('/srv/theirs', 'Theirs')])
    ).json() as { id: string }[];
    if (!a || !theirs) throw new Error('sync failed');
    const events: unknown[] = [];
    t.homeport.events.subscribe(['nas.exports'], (event) =>
      events.push({ type: event.type, data: event.data }),
    );

    const beat = await nas.heartbeat(node.id, nodeToken, [
      { exportId: a.id, capacityBytes: 4 * GB, freeBytes: 2 * GB, usedBytes: 2 * GB },
      { exportId: theirs.id, capacityBytes: 1, freeBytes: 0, usedBytes: 1 },
    ]);
    expect(beat.statusCode).toBe(204);
    const after = await listed(admin);
    expect(after.find((item) => item.id === a.id)).toMatchObject({
      capacityBytes: 4 * GB,
      freeBytes: 2 * GB,
    });
    expect(after.find((item) => item.id === theirs.id)).toMatchObject({
      capacityBytes: 1_000_000,
      freeBytes: null,
    });
    expect(events).toEqual([{ type: 'exports.space', data: { nodeId: node.id, exportIds: [a.id] } }]);

    // A change under 0.1% of the disk is stored but not announced: open pages do not reload for it.
    await nas.heartbeat(node.id, nodeToken, [
      { exportId: a.id, capacityBytes: 4 * GB, freeBytes: 2 * GB - 4096, usedBytes: 2 * GB + 4096 },
    ]);
    expect((await listed(admin)).find((item) => item.id === a.id)?.freeBytes).toBe(2 * GB - 4096);
    expect(events).toHaveLength(1);

    // Heartbeats without space (betterNAS agents) change nothing.
    expect((await nas.heartbeat(node.id, nodeToken)).statusCode).toBe(204);
    expect((await listed(admin)).find((item) => item.id === a.id)?.freeBytes).toBe(2 * GB - 4096);
  });

  it('refuses malformed space in a heartbeat with 400', async () => {
    const { node, nodeToken } = await setup();
    const [a] = (await nas.sync(node.id, nodeToken, [exportInput('/srv/a', 'A')])).json() as { id: string }[];
    const bad = [
      { exportId: a?.id, capacityBytes: -5, freeBytes: 0, usedBytes: 0 },
      { exportId: a?.id, freeBytes: 0 },
    ];
    for (const entry of bad) {
      expect((await nas.heartbeat(node.id, nodeToken, [entry])).statusCode, JSON.stringify(entry)).toBe(400);
    }
    const tooMany = Array.from({ length: 257 }, () => ({
      exportId: 'x',
      capacityBytes: 1,
      freeBytes: 0,
      usedBytes: 0,
    }));
    expect((await nas.heartbeat(node.id, nodeToken, tooMany)).statusCode).toBe(400);
  });

  it('members see the space of what is shared with them', async () => {
    const { admin, node, nodeToken } = await setup();
    const [a] = (
      await nas.sync(node.id, nodeToken, [
        { ...exportInput('/srv/a', 'A'), freeBytes: GB, usedBytes: 5 } as ReturnType<typeof exportInput>,
      ])
    ).json() as { id: string }[];
    const mia = await nas.member(admin);
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/exports/${a?.id}/grants/mia`,
      headers: bearer(admin),
      payload: { access: 'read-write' },
    });
    expect((await listed(mia.token))[0]).toMatchObject({ freeBytes: GB, usedBytes: 5 });
  });
});
