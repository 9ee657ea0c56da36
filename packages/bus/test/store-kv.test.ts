// The bus store on JetStream KV, one real nats-server (R1): the contract suite, then what only a store
// without transactions has to show — what a rekey writes before its compare-and-set, that a process dying
// half-way leaves nothing readable and nothing in the way of the next write, that listForMember reads only
// the member's index, and that a store that stops answering fails every call within its bound.

import { createJetStreamKv, StoreError } from '@homeport/core';
import { answersLost, dyingKv, gatedWrites, interceptedKv, type KvMethod } from '@homeport/core/testing';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKvBusStore, NONCE_RETENTION_MS } from '../src/store/kv-store.js';
import type { BusStore } from '../src/store/repositories.js';
import { describeBusStoreContract } from './store-contract.js';
import { at, hexKey, memberRecord, roomRecord, sealedKey, thrown } from './store-contract-fixtures.js';
import { freshKvStore, type KvUnderTest, natsClient } from './store-kv-support.js';

let server: NatsServerInstance;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await natsClient(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describeBusStoreContract('JetStream KV, one server (R1)', () => freshKvStore(nc, server.url, 1));

const owner = hexKey('owner');
/** A key of the rooms bucket by kind: `room` (a document), `key`, `epoch`, `ref` (a room's), `member`, `blob`. */
const kindOf = (key: string): string => {
  const parts = key.split('.');
  return parts[0] === 'room' ? (parts[3] ?? 'room') : (parts[0] ?? key);
};
const bob = hexKey('bob');
const cat = hexKey('cat');

describe('bus store on KV: what it writes, and operations cut short', () => {
  let subject: KvUnderTest;
  let store: BusStore;
  beforeEach(async () => {
    subject = await freshKvStore(nc, server.url, 1);
    store = subject.store;
  });
  afterEach(() => subject.close());

  /** The same buckets, through a port that dies after `writes` writes. */
  const dying = (writes: number) => createKvBusStore(dyingKv(subject.kv, writes));
  const keysOf = async (bucket: string, prefix?: string) => (await subject.kv.bucket(bucket)).keys(prefix);
  /** What the rooms bucket holds, by kind: `room` documents, `key`s, epoch marks, `ref`s, `member`, `blob`. */
  const kindsInRooms = async () => (await keysOf('rooms')).map(kindOf);
  const sealedKeys = async () => (await kindsInRooms()).filter((kind) => kind === 'key');
  /** Room alpha at epoch 1 with the owner and bob. */
  const roomOfTwo = async () => {
    await store.rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
    await store.rooms.addMember(memberRecord('alpha', bob), [sealedKey(1, bob, owner)], 1);
  };

  it('keeps nonces in a bucket that forgets them after 5 minutes, twice the request window and more', async () => {
    expect(NONCE_RETENTION_MS).toBeGreaterThanOrEqual(2 * 60_000);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`KV_${subject.module}_nonces`);
    expect(info.config.max_age).toBe(NONCE_RETENTION_MS * 1_000_000);
  });

  it('lists a member’s rooms from its own index, reading no other room', async () => {
    await store.rooms.create(roomRecord('mine', owner), [sealedKey(1, owner, owner)]);
    for (const id of ['other1', 'other2', 'other3'])
      await store.rooms.create(roomRecord(id, bob), [sealedKey(1, bob, bob)]);
    const calls: [string, KvMethod, string | undefined][] = [];
    const watched = await createKvBusStore(
      interceptedKv(subject.kv, (bucket, method, key) => {
        calls.push([bucket, method, key]);
      }),
    );
    expect((await watched.rooms.listForMember(owner)).map((entry) => entry.room.id)).toEqual(['mine']);
    const listings = calls.filter(([, method]) => method === 'keys');
    expect(listings).toHaveLength(1);
    expect(listings[0]?.[2]).toMatch(/^member\.[^.]+\.$/);
    expect(calls.filter(([, method]) => method === 'get')).toHaveLength(1);
  });

  it('writes a rekey’s keys (and the mark of the epoch it leaves) before the compare-and-set that moves the epoch', async () => {
    await roomOfTwo();
    const writes: string[] = [];
    const watched = await createKvBusStore(
      interceptedKv(subject.kv, (_bucket, method, key) => {
        if (method !== 'get' && method !== 'keys') writes.push(`${method} ${kindOf(key ?? '')}`);
      }),
    );
    await watched.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { remove: bob, now: at(5) });
    const commit = writes.indexOf('update room');
    expect(commit).toBeGreaterThan(0);
    expect(writes.slice(0, commit)).toEqual(['put epoch', 'put key']);
    expect((await kindsInRooms()).sort()).toEqual(['epoch', 'key', 'key', 'member', 'room']);
    // After the commit: the removed member's keys and index key go.
    expect(writes.slice(commit + 1).every((write) => write.startsWith('delete'))).toBe(true);
    expect(await keysOf('rooms', 'member.')).toHaveLength(1);
  });

  it('leaves the room as it was when a rekey dies before its compare-and-set; the next rekey wins cleanly', async () => {
    await roomOfTwo();
    // Writes: the mark of epoch 1, two keys, then the compare-and-set (where it dies).
    const dead = await dying(3);
    expect(
      String(
        await thrown(
          dead.rooms.rekey(
            'alpha',
            1,
            [sealedKey(2, owner, owner, 'dead'), sealedKey(2, bob, owner, 'dead')],
            { now: at(5) },
          ),
        ),
      ),
    ).toMatch(/died/);
    expect(await store.rooms.get('alpha')).toMatchObject({ epoch: 1 });
    expect(await store.rooms.getKey('alpha', bob, 2)).toBeUndefined();
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([1]);

    await store.rooms.rekey(
      'alpha',
      1,
      [sealedKey(2, owner, owner, 'live'), sealedKey(2, bob, owner, 'live')],
      { now: at(6) },
    );
    expect((await store.rooms.getKey('alpha', bob, 2))?.sealed).toBe(sealedKey(2, bob, owner, 'live').sealed);
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([1, 2]);
    // The dead rekey's keys are still there, under a key set no document names.
    expect(await sealedKeys()).toHaveLength(6);
  });

  it('adds no member when an add dies before its compare-and-set, and never shows its keys later', async () => {
    await store.rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
    await store.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { now: at(1) });
    // Writes: bob's index key, keys for epochs 1 and 2, then the compare-and-set (where it dies).
    const dead = await dying(3);
    const member = memberRecord('alpha', bob, { joinedEpoch: 2 });
    expect(
      String(
        await thrown(dead.rooms.addMember(member, [sealedKey(1, bob, owner), sealedKey(2, bob, owner)], 2)),
      ),
    ).toMatch(/died/);
    expect(await store.rooms.getMember('alpha', bob)).toBeUndefined();
    expect(await store.rooms.listForMember(bob)).toEqual([]);

    // Added again with the current epoch only: the earlier add's key for epoch 1 is not its key.
    await store.rooms.addMember(member, [sealedKey(2, bob, owner, 'again')], 2);
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([2]);
    expect(await store.rooms.getKey('alpha', bob, 1)).toBeUndefined();
    expect((await store.rooms.listForMember(bob)).map((entry) => entry.room.id)).toEqual(['alpha']);
  });

  it('keeps a removed member out when the removal dies in its clean-up', async () => {
    await roomOfTwo();
    // Writes: the mark, the owner's key, the compare-and-set; dies deleting bob's keys.
    const dead = await dying(3);
    expect(
      String(
        await thrown(dead.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { remove: bob, now: at(5) })),
      ),
    ).toMatch(/died/);
    expect(await store.rooms.get('alpha')).toMatchObject({ epoch: 2 });
    expect(await store.rooms.listForMember(bob)).toEqual([]);
    expect(await store.rooms.getKey('alpha', bob, 1)).toBeUndefined();
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([]);
    await store.rooms.addMember(
      memberRecord('alpha', bob, { joinedEpoch: 2 }),
      [sealedKey(2, bob, owner)],
      2,
    );
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([2]);
  });

  it('finishes a deletion cut short at the next delete, or at the next create of the id', async () => {
    await roomOfTwo();
    await store.blobs.add('alpha', 'h1', 10, at(1));
    // The first write marks the room deleted; it dies at the first clean-up.
    expect(String(await thrown((await dying(1)).rooms.delete('alpha')))).toMatch(/died/);
    expect(await store.rooms.get('alpha')).toBeUndefined();
    expect(await store.rooms.listForMember(bob)).toEqual([]);
    expect(await store.blobs.has('alpha', 'h1')).toBe(false);
    expect(await store.blobs.unreferenced(['h1'])).toEqual(['h1']);
    expect(await store.rooms.delete('alpha')).toBe(false);
    expect(await keysOf('rooms')).toEqual([]);

    await roomOfTwo();
    await store.blobs.add('alpha', 'h1', 10, at(1));
    expect(String(await thrown((await dying(1)).rooms.delete('alpha')))).toMatch(/died/);
    const again = roomRecord('alpha', cat, { createdAt: at(9) });
    await store.rooms.create(again, [sealedKey(1, cat, cat)]);
    expect(await store.rooms.get('alpha')).toEqual(again);
    expect(await store.rooms.listForMember(bob)).toEqual([]);
    // Only the new room's document, key and index key are left.
    expect((await kindsInRooms()).sort()).toEqual(['key', 'member', 'room']);
  });

  it('keeps the keys of a rekey or an add whose compare-and-set landed though its answer was lost', async () => {
    await roomOfTwo();
    const lost = await createKvBusStore(answersLost(subject.kv, 'rooms', 'update'));
    const room = await lost.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner), sealedKey(2, bob, owner)], {
      now: at(5),
    });
    expect(room).toEqual(await store.rooms.get('alpha'));
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([1, 2]);
    await lost.rooms.addMember(memberRecord('alpha', cat, { joinedEpoch: 2 }), [sealedKey(2, cat, owner)], 2);
    expect(await store.rooms.keyEpochs('alpha', cat)).toEqual([2]);
    expect((await store.rooms.listForMember(cat)).map((entry) => entry.room.id)).toEqual(['alpha']);
  });

  it('keeps the keys of a rekey that landed unanswered even when another rekey went ahead before it looked', async () => {
    await roomOfTwo();
    const next = () =>
      store.rooms.rekey('alpha', 2, [sealedKey(3, owner, owner), sealedKey(3, bob, owner)], { now: at(6) });
    const lost = await createKvBusStore(
      answersLost(subject.kv, 'rooms', 'update', async () => void (await next())),
    );
    const room = await lost.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner), sealedKey(2, bob, owner)], {
      now: at(5),
    });
    expect(room).toMatchObject({ epoch: 2, epochStartedAt: at(5) });
    expect(await store.rooms.get('alpha')).toMatchObject({ epoch: 3 });
    expect(await store.rooms.keyEpochs('alpha', bob)).toEqual([1, 2, 3]);
    expect((await store.rooms.getKey('alpha', bob, 2))?.sealed).toBe(sealedKey(2, bob, owner).sealed);
  });

  it('lets a rekey held back before its compare-and-set lose to one made meanwhile, without its keys read', async () => {
    await roomOfTwo();
    const held = gatedWrites(subject.kv, 'rooms');
    const slow = await createKvBusStore(held.kv);
    const late = thrown(
      slow.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner, 'late'), sealedKey(2, bob, owner, 'late')], {
        now: at(5),
      }),
    );
    await held.entered;
    await store.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner, 'first')], { remove: bob, now: at(6) });
    held.open();
    expect(await late).toMatchObject({ code: 'bus_epoch_conflict' });
    expect((await store.rooms.getKey('alpha', owner, 2))?.sealed).toBe(
      sealedKey(2, owner, owner, 'first').sealed,
    );
    expect(await store.rooms.listMembers('alpha')).toHaveLength(1);
    // The loser took its keys back: one key for epoch 1 (the owner's) and one for epoch 2.
    expect(await sealedKeys()).toHaveLength(2);
  });
});

describe('bus store on KV: a store that stops answering', () => {
  it('fails every call with store_unavailable within its bound, and answers none from a default', async () => {
    const own = await startNatsServer();
    const client = await natsClient(own.url);
    try {
      const kv = createJetStreamKv({ kvm: new Kvm(client), module: 'busdown', replicas: 1, timeoutMs: 500 });
      const store = await createKvBusStore(kv);
      await store.rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
      await own.stop();
      const calls: [string, () => Promise<unknown>][] = [
        ['users.get', () => store.users.get(owner)],
        ['users.list', () => store.users.list()],
        [
          'users.add',
          () =>
            store.users.add(
              { signPub: bob, kexPub: bob, handle: 'bob', role: 'member', userId: null },
              at(1),
            ),
        ],
        ['users.hasActiveAdmin', () => store.users.hasActiveAdmin()],
        ['rooms.get', () => store.rooms.get('alpha')],
        ['rooms.listForMember', () => store.rooms.listForMember(owner)],
        ['rooms.getKey', () => store.rooms.getKey('alpha', owner, 1)],
        ['rooms.rekey', () => store.rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { now: at(1) })],
        ['rooms.delete', () => store.rooms.delete('alpha')],
        ['nonces.claim', () => store.nonces.claim(owner, 'n-1', 1_000)],
        ['natsCredentials.listLive', () => store.natsCredentials.listLive(owner, 0)],
        ['revocations.add', () => store.revocations.add({ UAAA: 1 }, 0)],
        ['blobs.unreferenced', () => store.blobs.unreferenced(['h1'])],
        ['gatewayIdentities.get', () => store.gatewayIdentities.get('user_ann')],
      ];
      // All at once (the server is gone for each alike); each timed from its own start.
      const outcomes = await Promise.all(
        calls.map(async ([name, call]) => {
          const started = Date.now();
          const error = await thrown(call());
          return { name, error, ms: Date.now() - started };
        }),
      );
      for (const { name, error, ms } of outcomes) {
        expect(error, name).toBeInstanceOf(StoreError);
        expect(error, name).toMatchObject({ code: 'store_unavailable' });
        // 500 ms per call, twice that for a listing (core's port): 2 s is the bound with room to spare.
        expect(ms, name).toBeLessThan(2_000);
      }
    } finally {
      await client.close();
      await own.stop();
    }
  });
});
