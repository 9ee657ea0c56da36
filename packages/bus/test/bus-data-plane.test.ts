// The data plane on a real nats-server: what a raw subscriber sees, what a member's credential allows, what a
// removal and a revocation end, and history for late joiners.

import { until } from '@homeport/testkit';
import { createUser } from '@nats-io/nkeys';
import { connect, jwtAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusClientEvent, BusMessage } from '../src/client/index.js';
import { type Identity, signPubHex } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

// On SQLite (the embedded default) and on JetStream KV in the managed server's HOMEPORT account.
const STORES = process.env.BUS_DATA_PLANE_STORE === 'kv' ? ['kv'] : ['sqlite', 'kv'];

let h: BusHomeport;
const raw: NatsConnection[] = [];

/** A member's own NATS connection with a credential from the control plane (what the SDK does inside). */
async function memberConnection(identity: Identity) {
  const key = createUser();
  const credential = await h.call(identity, 'POST', '/credentials', { natsPub: key.getPublicKey() });
  expect(credential.status).toBe(200);
  const errors: string[] = [];
  let disconnectedAt: number | undefined;
  const nc = await connect({
    servers: credential.json.servers,
    authenticator: jwtAuthenticator(credential.json.jwt, key.getSeed()),
    inboxPrefix: credential.json.inboxPrefix,
    maxReconnectAttempts: 0,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error') errors.push(String(status.error));
      if (status.type === 'disconnect') disconnectedAt ??= performance.now();
    }
  })();
  raw.push(nc);
  /** When the server cut the connection (the client's own close follows after its reconnect wait). */
  const disconnected = async () => {
    await nc.closed();
    return disconnectedAt ?? performance.now();
  };
  return { nc, errors, disconnected, credential: credential.json as { inboxPrefix: string; jwt: string } };
}

describe.each(STORES)('on %s', (store) => {
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

  describe('messages', () => {
    it('delivers decrypted between members while a raw subscriber sees only ciphertext', async () => {
      const alice = await h.seed('member', 'alice');
      const bob = await h.seed('member', 'bob');
      const aliceClient = h.client(alice);
      const bobClient = h.client(bob);
      const room = await aliceClient.createRoom({ name: 'plans', policy: { persisted: false } });
      await aliceClient.invite(room.id, signPubHex(bob));

      const service = await h.serviceConnection();
      const wire: Uint8Array[] = [];
      service.subscribe(`bus.room.${room.id}.>`, {
        callback: (_e, msg) => {
          wire.push(msg.data);
        },
      });
      await service.flush();

      const got: BusMessage[] = [];
      await bobClient.subscribe(room.id, (message) => {
        got.push(message);
      });
      await aliceClient.publish(room.id, 'the eagle lands at dawn');
      await until(() => got.length === 1);
      expect(new TextDecoder().decode(got[0]?.payload)).toBe('the eagle lands at dawn');
      expect(got[0]?.handle).toBe('alice');
      await until(() => wire.length >= 1);
      const seen = Buffer.concat(wire.map((bytes) => Buffer.from(bytes))).toString('latin1');
      expect(seen).not.toContain('eagle');
    });

    it('replays a persisted room to a late joiner, and an ephemeral one does not', async () => {
      const owner = await h.seed('member', 'olga');
      const late = await h.seed('member', 'lena');
      const ownerClient = h.client(owner);
      const persisted = await ownerClient.createRoom({ name: 'log' });
      const ephemeral = await ownerClient.createRoom({ name: 'chatter', policy: { persisted: false } });
      for (const n of [1, 2, 3]) await ownerClient.publish(persisted.id, `kept ${n}`);
      await ownerClient.publish(ephemeral.id, 'gone');
      await ownerClient.invite(persisted.id, signPubHex(late));
      await ownerClient.invite(ephemeral.id, signPubHex(late));

      const lateClient = h.client(late);
      const history: string[] = [];
      await lateClient.subscribe(persisted.id, (message) => {
        history.push(new TextDecoder().decode(message.payload));
      });
      const live: string[] = [];
      await lateClient.subscribe(ephemeral.id, (message) => {
        live.push(new TextDecoder().decode(message.payload));
      });
      await until(() => history.length === 3);
      expect(history).toEqual(['kept 1', 'kept 2', 'kept 3']);
      await ownerClient.publish(ephemeral.id, 'now');
      await until(() => live.length === 1);
      expect(live).toEqual(['now']);
    });
  });

  describe('closing a subscription', () => {
    it('closes from inside the handler without waiting for itself, and gives back what it did not handle', {
      timeout: 40_000,
    }, async () => {
      const owner = await h.seed('member', 'otto');
      const ownerClient = h.client(owner);
      const room = await ownerClient.createRoom({ name: 'backlog' });
      const sent = Array.from({ length: 10 }, (_, n) => `b${n + 1}`);
      for (const text of sent) await ownerClient.publish(room.id, text);

      const reader = h.client(owner);
      const first: string[] = [];
      let closing: Promise<void> | undefined;
      const sub = await reader.subscribe(room.id, async (message) => {
        first.push(new TextDecoder().decode(message.payload));
        if (first.length === 3) {
          closing = sub.close();
          await closing;
        }
      });
      await until(() => closing !== undefined);
      await closing;
      await reader.close();
      expect(first).toEqual(sent.slice(0, 3));

      // The identity's next reader gets the rest: what the first had pulled is given back at once, at worst
      // (a frame the server had already sent into the closed pull) after the consumer's 10 s ack wait.
      const next: string[] = [];
      await h.client(owner).subscribe(room.id, (message) => {
        next.push(new TextDecoder().decode(message.payload));
      });
      await until(() => next.length === 7, 20_000);
      expect([...next].sort()).toEqual(sent.slice(3).sort());
    });
  });

  describe('rotation by policy', () => {
    it('a room rotating every 100 messages moves on epochs as it is written and every message still reads', async () => {
      const writer = await h.seed('member', 'wanda');
      const reader = await h.seed('member', 'rita');
      const writerClient = h.client(writer);
      const room = await writerClient.createRoom({
        name: 'rotating',
        rotation: { maxAgeMs: null, maxMessages: 100 },
      });
      await writerClient.invite(room.id, signPubHex(reader));
      const readerEvents: BusClientEvent[] = [];
      const readerClient = h.client(reader, readerEvents);
      const got: string[] = [];
      const epochs = new Set<number>();
      await readerClient.subscribe(room.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
        epochs.add(message.epoch);
      });
      const sent = Array.from({ length: 250 }, (_, n) => `m${n + 1}`);
      for (const text of sent) await writerClient.publish(room.id, text);
      await until(() => got.length === sent.length);
      // A rekey refreshes the room's key; it does not reconnect (which would cut pulls in flight).
      expect(readerEvents.filter((event) => event.type === 'reconnected')).toEqual([]);
      expect(got).toEqual(sent);
      // 250 messages at 100 per epoch: epochs 1, 2 and 3.
      expect([...epochs].sort()).toEqual([1, 2, 3]);
      const after = await readerClient.listRooms();
      expect(after.find((r) => r.id === room.id)?.epoch).toBe(3);
    });
  });

  describe('membership changes and agent rooms', () => {
    it('a member connected before the invite can read the room right after it (new credential)', async () => {
      const alice = await h.seed('member', 'ana');
      const bob = await h.seed('member', 'ben');
      const bobClient = h.client(bob);
      await bobClient.connect(); // connected with no rooms
      const aliceClient = h.client(alice);
      const room = await aliceClient.createRoom({ name: 'later', policy: { persisted: false } });
      await aliceClient.invite(room.id, signPubHex(bob));
      const joined = await bobClient.join(room.id);
      expect(joined.members.map((member) => member.handle).sort()).toEqual(['ana', 'ben']);
      const got: string[] = [];
      // Bob's credential predates the invite: the SDK notices the room is not in it and reconnects with a
      // new one before subscribing, so the first message published after the subscription arrives.
      await bobClient.subscribe(room.id, (message) => {
        got.push(new TextDecoder().decode(message.payload));
      });
      await aliceClient.publish(room.id, 'hello');
      await until(() => got.length > 0);
      expect(got).toEqual(['hello']);
    });

    it('an agent room answers requests with sealed, signed replies', async () => {
      const caller = await h.seed('member', 'caller');
      const worker = await h.seed('member', 'worker');
      const callerClient = h.client(caller);
      const room = await callerClient.createRoom({
        name: 'scouts',
        kind: 'agent',
        policy: { persisted: false },
      });
      await callerClient.invite(room.id, signPubHex(worker));
      const workerClient = h.client(worker);
      await workerClient.serve(room.id, 'scout', async ({ payload, handle }) => {
        return `${handle} asked: ${new TextDecoder().decode(payload)}`;
      });
      const answer = await until(async () =>
        callerClient.request(room.id, 'scout', 'status?', 1000).catch(() => undefined),
      );
      expect(new TextDecoder().decode(answer)).toBe('caller asked: status?');
    });
  });

  describe('member permissions', () => {
    it("cannot subscribe to, publish on or pull from another room, nor read another member's inbox", async () => {
      const carol = await h.seed('member', 'carol');
      const dan = await h.seed('member', 'dan');
      const carolClient = h.client(carol);
      const danClient = h.client(dan);
      const carolRoom = await carolClient.createRoom({ name: 'carol only' });
      const danRoom = await danClient.createRoom({ name: 'dan only' });
      await danClient.connect();

      const { nc, errors } = await memberConnection(carol);
      nc.subscribe(`bus.room.${danRoom.id}.>`);
      await until(() => errors.some((error) => /permissions violation/i.test(error)));
      nc.publish(`bus.room.${danRoom.id}.msg`, 'hi');
      nc.subscribe('_INBOX.>');
      nc.subscribe('$JS.API.>');
      await nc.flush();
      await until(() => errors.filter((error) => /permissions violation/i.test(error)).length >= 4);
      // Dan's consumer on Dan's room: the name pattern matches, the stream is not Carol's.
      await expect(
        nc.request(`$JS.API.CONSUMER.MSG.NEXT.BUSROOM_${danRoom.id}.m_x`, '', { timeout: 1000 }),
      ).rejects.toThrow();
      // Nor create a consumer on, or read a message of, Dan's room's stream through the JetStream API.
      for (const subject of [
        `$JS.API.CONSUMER.CREATE.BUSROOM_${danRoom.id}`,
        `$JS.API.CONSUMER.DURABLE.CREATE.BUSROOM_${danRoom.id}.mine`,
        `$JS.API.STREAM.MSG.GET.BUSROOM_${danRoom.id}`,
        `$JS.API.STREAM.INFO.BUSROOM_${danRoom.id}`,
      ]) {
        const before = errors.length;
        await expect(
          nc.request(subject, JSON.stringify({ seq: 1, config: {} }), { timeout: 1000 }),
        ).rejects.toThrow();
        await until(() => errors.slice(before).some((error) => /permissions violation/i.test(error)));
      }
      // Her own room works.
      const own = nc.subscribe(`bus.room.${carolRoom.id}.>`);
      await nc.flush();
      expect(own.isClosed()).toBe(false);
    });
  });

  describe('removal and revocation', () => {
    it('a removed member cannot read the next epoch and its live connection is closed', async () => {
      const owner = await h.seed('member', 'ruth');
      const gone = await h.seed('member', 'gus');
      const ownerClient = h.client(owner);
      const room = await ownerClient.createRoom({ name: 'shrinking', policy: { persisted: false } });
      await ownerClient.invite(room.id, signPubHex(gone));
      const { disconnected } = await memberConnection(gone);
      const started = performance.now();
      const after = await ownerClient.remove(room.id, signPubHex(gone));
      expect(after.epoch).toBe(2);
      const latency = (await disconnected()) - started;
      console.error(`bus: removal to disconnect ${latency.toFixed(0)} ms`);
      expect(latency).toBeLessThan(1500);
      expect((await h.call(gone, 'GET', `/rooms/${room.id}/keys/mine?epoch=2`)).status).toBe(403);
      expect((await h.call(gone, 'GET', `/rooms/${room.id}/keys/mine?epoch=1`)).status).toBe(403);
    });

    it("a revoked identity's live connection is closed at once and its requests are refused", async () => {
      const victim = await h.seed('member', 'vic');
      const admin = await h.seed('admin', 'ada');
      const { disconnected } = await memberConnection(victim);
      const started = performance.now();
      expect((await h.call(admin, 'POST', `/users/${signPubHex(victim)}/revoke`)).status).toBe(200);
      const latency = (await disconnected()) - started;
      console.error(`bus: revocation to disconnect ${latency.toFixed(0)} ms`);
      expect(latency).toBeLessThan(1500);
      expect((await h.call(victim, 'GET', '/rooms')).status).toBe(401);
      expect(
        (await h.call(victim, 'POST', '/credentials', { natsPub: createUser().getPublicKey() })).status,
      ).toBe(401);
    });
  });
});
