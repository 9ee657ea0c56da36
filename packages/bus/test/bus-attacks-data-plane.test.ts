// Attacks on the bus's data plane by a member (or a second identity of the same person): what a member's
// NATS credential and the SDK let it make others do. Each test names what must hold; the attack is real
// (a real nats-server, the member's own credential from the control plane, frames sealed with its real key).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { createUser, fromSeed } from '@nats-io/nkeys';
import { connect, credsAuthenticator, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusClientEvent } from '../src/client/index.js';
import {
  createUlidFactory,
  endpointId,
  fromBase64Url,
  generateIdentity,
  type Identity,
  newRoomKey,
  openRoomKey,
  sealFrame,
  signPubHex,
} from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let h: BusHomeport;
const raw: NatsConnection[] = [];

/** A member's own NATS connection with a credential for `natsPub` (a fresh key unless given). */
async function memberConnection(identity: Identity) {
  const key = createUser();
  const credential = await h.call(identity, 'POST', '/credentials', { natsPub: key.getPublicKey() });
  expect(credential.status).toBe(200);
  const nc = await connect({
    servers: credential.json.servers,
    authenticator: jwtAuthenticator(credential.json.jwt, key.getSeed()),
    inboxPrefix: credential.json.inboxPrefix,
    maxReconnectAttempts: 0,
  });
  raw.push(nc);
  return { nc, natsPub: key.getPublicKey() };
}

/** A frame sealed and signed by `identity` with its own key of the room's current epoch. */
async function ownFrame(identity: Identity, roomId: string, payload: string, id?: string) {
  const room = await h.call(identity, 'GET', `/rooms/${roomId}`);
  const mine = await h.call(identity, 'GET', `/rooms/${roomId}/keys/mine`);
  expect(mine.status).toBe(200);
  const roomKey = await openRoomKey(identity, fromBase64Url(mine.json.sealed) as Uint8Array, {
    roomId,
    epoch: mine.json.epoch,
    recipientSignPubHex: signPubHex(identity),
  });
  return sealFrame({
    roomId,
    epoch: room.json.epoch,
    sender: identity,
    roomKey,
    sign: true,
    payload: new TextEncoder().encode(payload),
    ...(id === undefined ? {} : { id }),
  });
}

describe.each(['sqlite', 'kv'])('on %s', (store) => {
  beforeAll(async () => {
    h = await startBusHomeport(
      store === 'kv'
        ? { HOMEPORT_STORE: 'kv', HOMEPORT_SECRET_KEY: 'the-test-secret-key-0123456789abcdef' }
        : {},
    );
  }, 60_000);
  afterAll(async () => {
    for (const nc of raw.splice(0)) await nc.close().catch(() => undefined);
    await h?.close();
  });

  describe('a NATS credential', () => {
    it('is not issued to a second identity for a key another identity holds, so a removal still closes it', async () => {
      const olga = await h.seed('member', 'olga-cred');
      const mallory = await h.seed('member', 'mallory-cred');
      // Mallory's second identity (a device registered to her account, or any allowlisted identity she holds).
      const malloryToo = await h.seed('member', 'mallory-cred-2');
      const olgaClient = h.client(olga);
      const room = await olgaClient.createRoom({ name: 'board', policy: { persisted: false } });
      await olgaClient.invite(room.id, signPubHex(mallory));

      const { nc, natsPub } = await memberConnection(mallory);
      nc.subscribe(`bus.room.${room.id}.>`);
      await nc.flush();
      // The same NATS key asked for again under the other identity: the record would then name malloryToo.
      const moved = await h.call(malloryToo, 'POST', '/credentials', { natsPub });
      expect(moved.status).toBe(409);
      // The owner removes Mallory: her connection (the JWT she holds for that key) is closed at once.
      await olgaClient.remove(room.id, signPubHex(mallory));
      await until(() => nc.isClosed());
      // Nor for Homeport's own key: revoking it with a member's credentials would cut the bus's own connections.
      const creds = readFileSync(join(h.t.dataDir, 'nats', 'users', 'BUS.creds'), 'utf8');
      const seed = /SU[A-Z2-7]{56}/.exec(creds)?.[0] as string;
      const serviceKey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
      expect((await h.call(malloryToo, 'POST', '/credentials', { natsPub: serviceKey })).status).toBe(409);
      // A retry under the same identity still replaces its own record.
      const again = createUser();
      const first = await h.call(malloryToo, 'POST', '/credentials', { natsPub: again.getPublicKey() });
      const retry = await h.call(malloryToo, 'POST', '/credentials', { natsPub: again.getPublicKey() });
      expect([first.status, retry.status]).toEqual([200, 200]);
    });
  });

  describe('frames', () => {
    it('refuses an old frame a member publishes again: its id is older than the time the stream stored it', async () => {
      const alice = await h.seed('member', 'alice-replay');
      const bob = await h.seed('member', 'bob-replay');
      const mallory = await h.seed('member', 'mallory-replay');
      const aliceClient = h.client(alice);
      const room = await aliceClient.createRoom({ name: 'payments' });
      await aliceClient.invite(room.id, signPubHex(bob));
      await aliceClient.invite(room.id, signPubHex(mallory));

      // A real frame of Alice's from ten minutes ago (signed by her), which Mallory kept and now sends again.
      const tenMinutesAgo = createUlidFactory({ now: () => Date.now() - 10 * 60_000 });
      const old = await ownFrame(alice, room.id, 'pay bob 100', tenMinutesAgo());
      const { nc } = await memberConnection(mallory);
      nc.publish(`bus.room.${room.id}.msg`, old.bytes);
      await nc.flush();
      await aliceClient.publish(room.id, 'hello');

      // Bob's reader (a CLI started now: its replay window is empty) reads the history.
      const events: BusClientEvent[] = [];
      const got: string[] = [];
      await h.client(bob, events).subscribe(room.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
      });
      await until(() => got.includes('hello'));
      expect(got).toEqual(['hello']);
      expect(events).toContainEqual({ type: 'dropped', roomId: room.id, reason: 'replay' });
    });
  });

  describe('junk frames', () => {
    it('cost a reader at most one room read a second, and a member invited meanwhile is still read', async () => {
      const alice = await h.seed('member', 'alice-junk');
      const bob = await h.seed('member', 'bob-junk');
      const mallory = await h.seed('member', 'mallory-junk');
      const carol = await h.seed('member', 'carol-junk');
      const aliceClient = h.client(alice);
      const room = await aliceClient.createRoom({ name: 'noisy', policy: { persisted: false } });
      await aliceClient.invite(room.id, signPubHex(bob));
      await aliceClient.invite(room.id, signPubHex(mallory));

      const events: BusClientEvent[] = [];
      const bobClient = h.client(bob, events);
      const got: string[] = [];
      await bobClient.subscribe(room.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
      });
      // Count what Bob's SDK asks the control plane from here on.
      const asked: string[] = [];
      const call = bobClient.control.call.bind(bobClient.control);
      Object.assign(bobClient.control, {
        call: (method: string, path: string, body?: unknown) => {
          asked.push(`${method} ${path}`);
          return call(method, path, body);
        },
      });

      // Mallory floods the room with frames naming senders nobody knows and epochs nobody holds.
      const { nc } = await memberConnection(mallory);
      const real = JSON.parse(new TextDecoder().decode((await ownFrame(mallory, room.id, 'x')).bytes));
      const junk = 200;
      for (let n = 0; n < junk; n++) {
        const bytes =
          n % 2 === 0
            ? // Someone nobody knows (checked before any signature).
              JSON.stringify({ ...real, sender: endpointId(generateIdentity().signPub) })
            : // Her own signed frames, of epochs the room never reached.
              sealFrame({
                roomId: room.id,
                epoch: 2 + n,
                sender: mallory,
                roomKey: newRoomKey(),
                sign: true,
                payload: new TextEncoder().encode('x'),
              }).bytes;
        nc.publish(`bus.room.${room.id}.msg`, bytes);
      }
      await nc.flush();
      await until(() => events.filter((event) => event.type === 'dropped').length >= junk);
      expect(asked.length).toBeLessThanOrEqual(4);

      // Carol is invited and speaks at once: Bob was told of the new member and reads her.
      await aliceClient.invite(room.id, signPubHex(carol));
      await h.client(carol).publish(room.id, 'hi from carol');
      await until(() => got.includes('hi from carol'));
    });
  });

  describe('an agent serving requests', () => {
    it('answers only on the requester’s own inbox: a member cannot make it publish to the JetStream API', async () => {
      const alice = await h.seed('member', 'alice-agent');
      const mallory = await h.seed('member', 'mallory-agent');
      const victor = await h.seed('member', 'victor-agent');
      const aliceClient = h.client(alice);
      const victorClient = h.client(victor);

      // Victor's persisted room, which neither Alice nor Mallory is in.
      const kept = await victorClient.createRoom({ name: 'ledger' });
      for (const n of [1, 2, 3]) await victorClient.publish(kept.id, `entry ${n}`);
      const jsm = await jetstreamManager(await h.serviceConnection());
      const stream = `BUSROOM_${kept.id}`;
      expect((await jsm.streams.info(stream)).state.messages).toBe(3);

      // Alice serves an agent in an agent room Mallory is a member of.
      const agentRoom = await aliceClient.createRoom({
        name: 'ops',
        kind: 'agent',
        policy: { persisted: false },
      });
      await aliceClient.invite(agentRoom.id, signPubHex(mallory));
      const served: string[] = [];
      const events: BusClientEvent[] = [];
      const serving = h.client(alice, events);
      await serving.serve(agentRoom.id, 'scout', async ({ payload }) => {
        served.push(new TextDecoder().decode(payload));
        return 'ok';
      });

      // Mallory sends a real, signed request whose reply subject is the JetStream API.
      const { nc } = await memberConnection(mallory);
      const subject = `bus.room.${agentRoom.id}.agent.scout.in`;
      const attack = await ownFrame(mallory, agentRoom.id, 'purge please');
      nc.publish(subject, attack.bytes, { reply: `$JS.API.STREAM.PURGE.${stream}` });
      // Then an ordinary request on her own inbox, which must still be answered.
      const honest = await ownFrame(mallory, agentRoom.id, 'status?');
      const answer = await nc.request(subject, honest.bytes, { timeout: 10_000 });
      expect(answer.data.byteLength).toBeGreaterThan(0);
      await until(() => served.includes('status?'));

      // The agent answered nothing on a subject outside the requester's inbox, so Victor's history is whole.
      expect(served).not.toContain('purge please');
      expect(events).toContainEqual({
        type: 'dropped',
        roomId: agentRoom.id,
        reason: 'foreign_reply_subject',
      });
      expect((await jsm.streams.info(stream)).state.messages).toBe(3);
    });

    it('keeps a room’s history whole even when a naive responder answers on any subject', async () => {
      const victor = await h.seed('member', 'victor-naive');
      const alice = await h.seed('member', 'alice-naive');
      const mallory = await h.seed('member', 'mallory-naive');
      const victorClient = h.client(victor);
      const kept = await victorClient.createRoom({ name: 'journal' });
      for (const n of [1, 2]) await victorClient.publish(kept.id, `line ${n}`);
      const stream = `BUSROOM_${kept.id}`;
      const jsm = await jetstreamManager(await h.serviceConnection());

      const aliceClient = h.client(alice);
      const agentRoom = await aliceClient.createRoom({
        name: 'tools',
        kind: 'agent',
        policy: { persisted: false },
      });
      await aliceClient.invite(agentRoom.id, signPubHex(mallory));
      // Another client than the SDK (unibus tools, a script) answering whatever it is asked, on msg.reply.
      const { nc: responder } = await memberConnection(alice);
      const subject = `bus.room.${agentRoom.id}.agent.echo.in`;
      const answered: string[] = [];
      responder.subscribe(subject, {
        callback: (_error, msg) => {
          if (!msg.reply) return;
          answered.push(msg.reply);
          msg.respond(msg.data);
        },
      });
      await responder.flush();

      const { nc } = await memberConnection(mallory);
      const frame = await ownFrame(mallory, agentRoom.id, 'anything');
      for (const api of ['STREAM.PURGE', 'STREAM.MSG.DELETE'])
        nc.publish(subject, frame.bytes, { reply: `$JS.API.${api}.${stream}` });
      // A request on her inbox comes back: the responder answered the two before it, in order.
      await nc.request(subject, frame.bytes, { timeout: 10_000 });
      expect(answered).toHaveLength(3);
      await responder.flush();
      expect((await jsm.streams.info(stream)).state.messages).toBe(2);
      // Victor still reads his history from the start.
      const read = h.client(victor);
      const got: string[] = [];
      await read.subscribe(kept.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
      });
      await until(() => got.length === 2);
      expect(got).toEqual(['line 1', 'line 2']);
    });
  });
});

describe('room streams made before they denied purge', () => {
  it('are guarded when Homeport starts again', async () => {
    const first = await startBusHomeport();
    const dataDir = first.t.dataDir;
    const creds = readFileSync(join(dataDir, 'nats', 'users', 'BUS.creds'));
    const plane = first.bus.dataPlane;
    if (!plane) throw new Error('no data plane');
    const service = await connect({ servers: plane.url, authenticator: credsAuthenticator(creds) });
    // A persisted room's stream as Homeport made it before (no deny_purge, no deny_delete).
    const name = 'BUSROOM_oldroomoldroomoldr';
    await (await jetstreamManager(service)).streams.add({
      name,
      subjects: ['bus.room.oldroomoldroomoldr.>'],
    });
    await service.close();
    await first.close();

    const again = await startBusHomeport({}, dataDir);
    try {
      const plane2 = again.bus.dataPlane;
      if (!plane2) throw new Error('no data plane');
      const nc = await connect({ servers: plane2.url, authenticator: credsAuthenticator(creds) });
      const info = await (await jetstreamManager(nc)).streams.info(name);
      await nc.close();
      expect([info.config.deny_purge, info.config.deny_delete]).toEqual([true, true]);
    } finally {
      await again.close();
    }
  }, 120_000);
});
