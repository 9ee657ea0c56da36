// The accounts store contract on JetStream KV with one real nats-server (R1), and what only the KV store
// has to prove: per-request lookups are reads by key, a crashed create does not lock a name forever, and a
// store that stops answering fails every call (closed) instead of reading as "absent".

import { createJetStreamKv, type KvBucket, type KvStore, keyToken, StoreError } from '@homeport/core';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKvAccountsStore } from '../src/store/kv-store.js';
import type { UserRecord } from '../src/store/repositories.js';
import { describeAccountsStore } from './store-contract.js';

let server: NatsServerInstance;
let nc: NatsConnection;
let modules = 0;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** A KV store of its own (fresh buckets) per test, over the shared connection. */
const freshKv = (timeoutMs?: number): KvStore => {
  modules += 1;
  return createJetStreamKv({
    kvm: new Kvm(nc),
    module: `accounts${modules}`,
    replicas: 1,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
};

describeAccountsStore('kv R1', async ({ clock }) => ({
  store: await createKvAccountsStore(freshKv(), { clock }),
  close: async () => {},
}));

/** Counts the calls a store makes on its buckets. */
function counted(kv: KvStore) {
  const calls: string[] = [];
  const seen = <T>(call: string, work: () => Promise<T>): Promise<T> => {
    calls.push(call);
    return work();
  };
  const wrap = (bucket: KvBucket): KvBucket => ({
    name: bucket.name,
    get: (key) => seen(`get ${key}`, () => bucket.get(key)),
    create: (key, value) => seen(`create ${key}`, () => bucket.create(key, value)),
    update: (key, value, revision) => seen(`update ${key}`, () => bucket.update(key, value, revision)),
    put: (key, value) => seen(`put ${key}`, () => bucket.put(key, value)),
    delete: (key, revision) => seen(`delete ${key}`, () => bucket.delete(key, revision)),
    keys: (prefix) => seen(`keys ${prefix}`, () => bucket.keys(prefix)),
  });
  return { calls, kv: { bucket: async (name, options) => wrap(await kv.bucket(name, options)) } as KvStore };
}

const user = (id: string, username: string): UserRecord => ({
  id,
  username,
  passwordHash: null,
  role: 'member',
  status: 'active',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
});

describe('kv R1: what only the KV store must show', () => {
  it('looks a session and an API token up by token hash with reads by key, never a listing', async () => {
    const { calls, kv } = counted(freshKv());
    const store = await createKvAccountsStore(kv);
    await store.users.create(user('usr_a', 'ann'));
    await store.sessions.create({
      id: 'ses_a',
      tokenHash: 'a'.repeat(64),
      userId: 'usr_a',
      createdAt: new Date().toISOString(),
      expiresAt: Date.now() + 60_000,
      lastSeenAt: new Date().toISOString(),
      ip: null,
      userAgent: null,
    });
    await store.tokens.create({
      id: 'tok_a',
      tokenHash: 'b'.repeat(64),
      userId: 'usr_a',
      name: 'ci',
      prefix: 'hp_x',
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
      expiresAt: null,
    });
    calls.length = 0;
    expect((await store.sessions.byTokenHash('a'.repeat(64)))?.id).toBe('ses_a');
    // The session, then its user (for sessionsNotBefore): two reads by key.
    expect(calls).toEqual([
      `get session.hash.${keyToken('a'.repeat(64))}`,
      `get user.id.${keyToken('usr_a')}`,
    ]);
    calls.length = 0;
    expect((await store.tokens.byTokenHash('b'.repeat(64)))?.id).toBe('tok_a');
    expect(calls).toEqual([`get token.hash.${keyToken('b'.repeat(64))}`]);
  });

  it('takes over a name whose create crashed between its two writes, and the crashed create cannot land', async () => {
    const kv = freshKv();
    const store = await createKvAccountsStore(kv);
    const records = await kv.bucket('records');
    // What a process that died after claiming the name leaves behind.
    await records.create(`user.name.${keyToken('ann')}`, { owner: 'usr_dead' });
    expect(await store.users.byUsername('ann')).toBeUndefined();
    await store.users.create(user('usr_new', 'Ann'));
    expect((await store.users.byUsername('ANN'))?.id).toBe('usr_new');
    // Had the dead process come back and written its record, it would now find the key taken.
    await expect(
      records.create(`user.id.${keyToken('usr_dead')}`, user('usr_dead', 'ann')),
    ).rejects.toMatchObject({
      code: 'store_conflict',
    });
    expect(await store.users.byId('usr_dead')).toBeUndefined();
    expect((await store.users.list()).map((found) => found.id)).toEqual(['usr_new']);
  });

  it('fails every call with store_unavailable within the bound when nats-server is gone, and never reads "absent"', async () => {
    const store = await createKvAccountsStore(freshKv(1500));
    await store.users.create(user('usr_b', 'bea'));
    await server.stop();
    try {
      // A read gets the bound (1500 ms); a call that lists keys twice that (a listing makes a consumer).
      const read = 1500 + 1000;
      const listing = 2 * 1500 + 1000;
      const calls: [string, () => Promise<unknown>, number][] = [
        ['sessions.byTokenHash', () => store.sessions.byTokenHash('c'.repeat(64)), read],
        ['tokens.byTokenHash', () => store.tokens.byTokenHash('c'.repeat(64)), read],
        ['users.byId', () => store.users.byId('usr_b'), read],
        [
          'users.update',
          () => store.users.update('usr_b', { status: 'disabled' }, new Date().toISOString()),
          read,
        ],
        ['sessions.deleteAllForUser', () => store.sessions.deleteAllForUser('usr_b'), listing],
        ['loginAttempts.take', () => store.loginAttempts.take('d'.repeat(64)), read],
      ];
      for (const [name, call, bound] of calls) {
        const started = Date.now();
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error, name).toBeInstanceOf(StoreError);
        expect((error as StoreError).code, name).toBe('store_unavailable');
        expect(Date.now() - started, name).toBeLessThan(bound);
      }
    } finally {
      await server.restart();
    }
  });
});
