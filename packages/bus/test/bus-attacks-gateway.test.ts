// Attacks on the browser gateway by a member of a room (an SDK identity with its own key and NATS credential):
// what frames it publishes with ids and times of its own choosing can make the gateway show or skip. Each test
// names what must hold; the frames are real (sealed and signed with the member's key, on a real nats-server).

import { join } from 'node:path';
import { applyMigrations, openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusClient } from '../src/client/index.js';
import {
  createReplayGuard,
  createUlidFactory,
  endpointId,
  generateIdentity,
  type Identity,
  sealFrame,
  signPubHex,
  toHex,
} from '../src/crypto/index.js';
import { openRoomReader } from '../src/gateway/room-reader.js';
import { busMigrations } from '../src/store/migrations.js';
import { createSqliteBusStore } from '../src/store/sqlite-store.js';
import { roomRecord, userInput } from './store-contract-fixtures.js';
import { type GatewayHomeport, startGatewayHomeport } from './support/bus-gateway.js';

let h: GatewayHomeport;
const sdks: BusClient[] = [];
beforeAll(async () => {
  h = await startGatewayHomeport({ recheckMs: 10 * 60_000, lingerMs: 0 });
}, 60_000);
afterAll(async () => {
  for (const sdk of sdks.splice(0)) await sdk.close().catch(() => undefined);
  await h?.close();
});

const bodies = (messages: { body: string }[]) => messages.map((message) => message.body);

/** An SDK member (allowlisted by the admin) with a room it owns, unencrypted so frames are easy to forge. */
async function memberWithRoom(handle: string, invite: string, policy: { persisted?: boolean } = {}) {
  const identity = generateIdentity();
  await h.bus.service.addUser({
    signPub: signPubHex(identity),
    kexPub: toHex(identity.kexPub),
    handle,
    role: 'member',
    userId: null,
  });
  const sdk = BusClient.create({ controlUrls: [h.url], identity });
  sdks.push(sdk);
  const room = await sdk.createRoom({ name: `${handle}-room`, policy: { encrypted: false, ...policy } });
  await sdk.invite(room.id, invite);
  return { identity, sdk, roomId: room.id };
}

/** A frame the member seals and signs itself, with the id it chooses, published bare (no dedup header). */
async function publishOwn(sdk: BusClient, identity: Identity, roomId: string, body: string, id: string) {
  const { bytes } = sealFrame({
    roomId,
    epoch: 1,
    sender: identity,
    roomKey: null,
    sign: true,
    payload: new TextEncoder().encode(body),
    id,
  });
  const nc = await sdk.connect();
  nc.publish(`bus.room.${roomId}.msg`, bytes);
  await nc.flush();
}

describe('the gateway places messages by the stream, not by ids senders choose', () => {
  it('pages and resumes at the right message when a member floods the history with 7ZZZ… ids', async () => {
    const ursula = await h.account('ursula');
    const me = (await h.api(ursula.token, 'GET', '/me')).json as { signPub: string };
    const { identity, sdk, roomId } = await memberWithRoom('mallory', me.signPub);

    const ids: string[] = [];
    for (let n = 0; n < 20; n++) ids.push(await sdk.publish(roomId, `m${n}`));
    // In the middle of the history: 200 frames whose id sorts after every real one.
    for (let n = 0; n < 200; n++)
      await publishOwn(sdk, identity, roomId, `junk${n}`, '7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    for (let n = 20; n < 40; n++) ids.push(await sdk.publish(roomId, `m${n}`));

    const page = await h.api(ursula.token, 'GET', `/rooms/${roomId}/messages?before=${ids[30]}&limit=10`);
    expect(page.status).toBe(200);
    expect(bodies(page.json)).toEqual(Array.from({ length: 10 }, (_, n) => `m${20 + n}`));
    const older = await h.api(ursula.token, 'GET', `/rooms/${roomId}/messages?before=${ids[20]}&limit=5`);
    expect(bodies(older.json)).toEqual(['m15', 'm16', 'm17', 'm18', 'm19']);

    // A stream resumed after m30 gets m31…m39, nothing before.
    const stream = await h.stream(ursula.token, roomId, ids[30]);
    expect(stream.status).toBe(200);
    await stream.waitFor((event) => event.id === ids[39]);
    const resumed = stream.events.filter((event) => event.type === 'message').map((event) => event.id);
    expect(resumed).toEqual(ids.slice(31));
    stream.close();
  }, 60_000);
  it('pages an ephemeral room by arrival, not by an id a member dated minutes ahead', async () => {
    const wanda = await h.account('wanda');
    const me = (await h.api(wanda.token, 'GET', '/me')).json as { signPub: string };
    const { identity, sdk, roomId } = await memberWithRoom('mallory3', me.signPub, { persisted: false });
    const stream = await h.stream(wanda.token, roomId);
    await stream.waitFor((event) => event.type === 'state');
    // Each waited for on the stream: the SDK sends core-NATS frames in batches, so order is made sure of here.
    const a1 = await sdk.publish(roomId, 'a1');
    await stream.waitFor((event) => event.id === a1);
    // Within the five minutes ahead a reader allows, so it is shown; its id sorts after what comes next.
    const ahead = createUlidFactory({ now: () => Date.now() + 4 * 60_000 });
    const aheadId = ahead();
    await publishOwn(sdk, identity, roomId, 'ahead', aheadId);
    await stream.waitFor((event) => event.id === aheadId);
    await sdk.publish(roomId, 'a2');
    const a3 = await sdk.publish(roomId, 'a3');
    await stream.waitFor((event) => event.id === a3);
    const page = await h.api(wanda.token, 'GET', `/rooms/${roomId}/messages?before=${a3}`);
    expect(bodies(page.json)).toEqual(['a1', 'ahead', 'a2']);
    stream.close();
  }, 60_000);
});

describe('the gateway judges frames by when the bus took them', () => {
  it('drops a frame a member sends again long after, and shows the store time, not the id time', async () => {
    const vera = await h.account('vera');
    const me = (await h.api(vera.token, 'GET', '/me')).json as { signPub: string };
    const { identity, sdk, roomId } = await memberWithRoom('mallory2', me.signPub);
    const stream = await h.stream(vera.token, roomId);
    await stream.waitFor((event) => event.type === 'state');

    const published = Date.now();
    const tenMinutesAgo = createUlidFactory({ now: () => published - 10 * 60_000 });
    const fourMinutesAgo = createUlidFactory({ now: () => published - 4 * 60_000 });
    await publishOwn(sdk, identity, roomId, 'pay mallory 100', tenMinutesAgo());
    const backdated = fourMinutesAgo();
    await publishOwn(sdk, identity, roomId, 'backdated', backdated);
    const last = await sdk.publish(roomId, 'after');

    await stream.waitFor((event) => event.id === last);
    const live = stream.events
      .filter((event) => event.type === 'message')
      .map((event) => JSON.parse(event.data));
    expect(bodies(live)).toEqual(['backdated', 'after']);
    expect(live[0].ts).toBeGreaterThanOrEqual(published - 1000);

    const page = await h.api(vera.token, 'GET', `/rooms/${roomId}/messages`);
    expect(bodies(page.json)).toEqual(['backdated', 'after']);
    const shown = page.json.find((message: { id: string }) => message.id === backdated);
    expect(shown.ts).toBeGreaterThanOrEqual(published - 1000);
    stream.close();
  }, 60_000);

  it('refuses a frame of an old epoch that reached the bus well after the rekey, whatever its id says', async () => {
    const db = openDatabase(join(tempDir('homeport-bus-gateway-attack-'), 'homeport.db'));
    applyMigrations(db, 'bus', busMigrations);
    const store = createSqliteBusStore(db);
    const removed = generateIdentity();
    const signPub = signPubHex(removed);
    await store.users.add(
      userInput('old-key', { signPub, kexPub: toHex(removed.kexPub) }),
      '2026-01-01T00:00:00.000Z',
    );
    // Signed, so only the epoch check (not a signature) can refuse the frame; the room moved to epoch 2.
    const rekeyedAt = Date.parse('2026-01-01T12:00:00.000Z');
    const room = roomRecord('aaaaaaaaaaaaaaaaaaaa', signPub, {
      policy: { encrypted: false, persisted: true, signed: true },
    });
    await store.rooms.create(room, []);
    await store.rooms.rekey(room.id, 1, [], { now: new Date(rekeyedAt).toISOString() });
    const reader = await openRoomReader({ store, clock: () => rekeyedAt + 10 * 60_000 }, room.id);
    if (!reader) throw new Error('no room');
    expect(reader.members.has(endpointId(removed.signPub))).toBe(true);
    // Sealed under epoch 1 with an id inside the grace after the rekey.
    const idInGrace = createUlidFactory({ now: () => rekeyedAt + 30_000 });
    const frame = () =>
      sealFrame({
        roomId: room.id,
        epoch: 1,
        sender: removed,
        roomKey: null,
        sign: true,
        payload: new TextEncoder().encode('old key'),
        id: idInGrace(),
      }).bytes;
    const keyOf = async () => undefined;
    // Stored three minutes after the rekey (its id 2.5 minutes old then, not a replay): refused.
    const late = await reader.open(frame(), createReplayGuard(), keyOf, rekeyedAt + 3 * 60_000);
    expect(late).toEqual({ ok: false, reason: 'stale_epoch' });
    // Stored within the grace: a sender that had not seen the rekey yet. Shown at its store time.
    const inTime = await reader.open(frame(), createReplayGuard(), keyOf, rekeyedAt + 40_000);
    expect(inTime.ok && inTime.message.ts).toBe(rekeyedAt + 40_000);
    db.close();
  });
});
