// Attacks on the browser gateway by a member of a room (an SDK identity with its own key and NATS credential):
// what frames it publishes with ids and times of its own choosing can make the gateway show or skip. Each test
// names what must hold; the frames are real (sealed and signed with the member's key, on a real nats-server).

import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ADMIN_PASSWORD } from '@homeport/accounts/testing';
import { applyMigrations, openDatabase, type UserDirectory } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusClient, BusClientError } from '../src/client/index.js';
import {
  createReplayGuard,
  createUlidFactory,
  endpointId,
  generateIdentity,
  type Identity,
  sealFrame,
  signPubHex,
  signRequest,
  toHex,
} from '../src/crypto/index.js';
import { createHandles } from '../src/gateway/handles.js';
import { openRoomReader } from '../src/gateway/room-reader.js';
import { busMigrations } from '../src/store/migrations.js';
import { createSqliteBusStore } from '../src/store/sqlite-store.js';
import { roomRecord, userInput } from './store-contract-fixtures.js';
import { type GatewayHomeport, startGatewayHomeport } from './support/bus-gateway.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

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
    // No account owns the identity here: it is shown by its handle (the directory is not asked about it).
    const users: UserDirectory = { find: async () => undefined, onAccessNarrowed: () => () => undefined };
    const clock = () => rekeyedAt + 10 * 60_000;
    const handles = createHandles({ users, store, clock });
    const reader = await openRoomReader({ store, handles, clock }, room.id);
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

describe('the gateway shows an account’s identities by the account’s username', () => {
  it('a device named after an account made later still shows as its owner', async () => {
    const mallory = await h.account('mallory4');
    // Registered while no account is called xavier: the control plane had nothing to refuse it for.
    const device = generateIdentity();
    const registered = await fetch(`${h.url}/api/v1/bus/identities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mallory.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ signPub: signPubHex(device), kexPub: toHex(device.kexPub), handle: 'xavier' }),
    });
    expect(registered.status).toBe(201);
    const xavier = await h.account('xavier');
    const me = await h.api(xavier.token, 'GET', '/me');
    expect(me.json.handle).toBe('xavier');

    const sdk = BusClient.create({ controlUrls: [h.url], identity: device });
    sdks.push(sdk);
    const room = await sdk.createRoom({ name: 'payroll' });
    await sdk.invite(room.id, me.json.signPub);
    const id = await sdk.publish(room.id, 'I am xavier, send the files here');

    const page = await h.api(xavier.token, 'GET', `/rooms/${room.id}/messages`);
    expect(page.json.map((message: { id: string; handle: string }) => [message.id, message.handle])).toEqual([
      [id, 'mallory4'],
    ]);
    const detail = await h.api(xavier.token, 'GET', `/rooms/${room.id}`);
    const shown = detail.json.members.map((member: { signPub: string; handle: string }) => [
      member.signPub,
      member.handle,
    ]);
    expect(shown).toEqual(
      expect.arrayContaining([
        [signPubHex(device), 'mallory4'],
        [me.json.signPub, 'xavier'],
      ]),
    );
    // Live, too.
    const stream = await h.stream(xavier.token, room.id);
    await stream.waitFor((event) => event.type === 'state');
    const live = await sdk.publish(room.id, 'again');
    const event = await stream.waitFor((each) => each.id === live);
    expect(JSON.parse(event.data).handle).toBe('mallory4');
    stream.close();
  }, 60_000);
});

describe('a room’s blobs have a quota', () => {
  const MiB = 1024 * 1024;
  let q: BusHomeport;
  beforeAll(async () => {
    q = await startBusHomeport({
      HOMEPORT_BUS_ROOM_BLOBS: '2',
      HOMEPORT_BUS_ROOM_BLOB_BYTES: String(3 * MiB),
    });
  }, 60_000);
  afterAll(async () => {
    await q?.close();
  });

  const refusal = async (work: Promise<unknown>) => {
    const error = await work.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(BusClientError);
    return { status: (error as BusClientError).status, code: (error as BusClientError).code }; // checked above
  };

  it('refuses a member’s upload past the room’s count or bytes with 422 bus_quota; the same bytes again are free', async () => {
    const mallory = await q.seed('member', 'mallory-blobs');
    const client = q.client(mallory);
    const room = await client.createRoom({ name: 'count', policy: { persisted: false } });
    // Raw uploads (what the SDK sends is encrypted afresh each time): the same bytes twice are one blob.
    const put = async (bytes: Buffer) => {
      const path = `/api/v1/bus/rooms/${room.id}/blobs`;
      const response = await fetch(`${q.url}${path}`, {
        method: 'PUT',
        headers: {
          ...signRequest(mallory, { method: 'PUT', path, body: bytes }),
          'content-type': 'application/octet-stream',
        },
        body: bytes,
      });
      return { status: response.status, json: (await response.json()) as { error?: { code: string } } };
    };
    const first = randomBytes(MiB);
    expect((await put(first)).status).toBe(201);
    expect((await put(first)).status).toBe(201);
    expect((await put(randomBytes(MiB))).status).toBe(201);
    const third = await put(randomBytes(10));
    expect([third.status, third.json.error?.code]).toEqual([422, 'bus_quota']);
    expect((await put(first)).status).toBe(201);

    const bytes = await client.createRoom({ name: 'bytes', policy: { persisted: false } });
    await client.putBlob(bytes.id, randomBytes(2 * MiB));
    expect(await refusal(client.putBlob(bytes.id, randomBytes(2 * MiB)))).toEqual({
      status: 422,
      code: 'bus_quota',
    });
    // Another room has its own quota.
    const other = await client.createRoom({ name: 'other', policy: { persisted: false } });
    await client.putBlob(other.id, randomBytes(2 * MiB));
  });

  it('refuses a gateway upload past the quota from its declared length, before reading the body', async () => {
    const admin = await q.t.login();
    const made = await fetch(`${q.url}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'quinn', password: `${ADMIN_PASSWORD}-quinn` }),
    });
    expect(made.status).toBe(201);
    const token = await q.t.login('quinn', `${ADMIN_PASSWORD}-quinn`);
    const base = `${q.url}/api/v1/bus/gateway`;
    const created = await fetch(`${base}/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'uploads' }),
    });
    const roomId = ((await created.json()) as { id: string }).id;
    const upload = (bytes: Buffer) =>
      fetch(`${base}/rooms/${roomId}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: bytes,
      });
    expect((await upload(randomBytes(2 * MiB))).status).toBe(201);

    // Only the headers are sent: the answer must come before a byte of the body.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${base}/rooms/${roomId}/attachments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(2 * MiB),
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body).error.code).toBe('bus_quota');
    // What still fits is taken.
    expect((await upload(randomBytes(MiB / 2))).status).toBe(201);
  });
});
