// The KV port on a real nats-server: revisions, create-only and compare-and-set writes with the named
// conflict, deletes, prefix listing, key tokens for any text, and a store that stops answering failing
// each call within its bound (store_unavailable), never hanging it.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromKeyToken, type KvBucket, keyToken, StoreError, withCasRetry } from '../src/store/kv.js';
import { clusteredKvProblem, createJetStreamKv } from '../src/store/kv-jetstream.js';

let server: NatsServerInstance;
let nc: NatsConnection;
let bucket: KvBucket;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  bucket = await createJetStreamKv({ kvm: new Kvm(nc), module: 'test', replicas: 1, timeoutMs: 1500 }).bucket(
    'port',
  );
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const code = async (work: Promise<unknown>) => {
  try {
    await work;
    return 'ok';
  } catch (error) {
    return error instanceof StoreError ? error.code : `other: ${String(error)}`;
  }
};

describe('the KV port on JetStream', () => {
  it('creates once, updates only at the revision read, and names the conflict', async () => {
    expect(bucket.name).toBe('test_port');
    const first = await bucket.create('user.a', { name: 'ann' });
    expect(await code(bucket.create('user.a', { name: 'other' }))).toBe('store_conflict');
    expect(await bucket.get('user.a')).toEqual({ value: { name: 'ann' }, revision: first });
    const second = await bucket.update('user.a', { name: 'anne' }, first);
    expect(second).toBeGreaterThan(first);
    expect(await code(bucket.update('user.a', { name: 'stale' }, first))).toBe('store_conflict');
    expect((await bucket.get<{ name: string }>('user.a'))?.value.name).toBe('anne');
  });

  it('deletes (at a revision when given), and a deleted key can be created again', async () => {
    const revision = await bucket.create('user.b', { n: 1 });
    const moved = await bucket.put('user.b', { n: 2 });
    expect(await code(bucket.delete('user.b', revision))).toBe('store_conflict');
    await bucket.delete('user.b', moved);
    expect(await bucket.get('user.b')).toBeUndefined();
    await bucket.create('user.b', { n: 3 });
    expect((await bucket.get<{ n: number }>('user.b'))?.value.n).toBe(3);
  });

  it('lists keys under a prefix of whole tokens', async () => {
    await bucket.put('node.x', 1);
    await bucket.put('node.y', 2);
    await bucket.put('nodes.z', 3);
    expect((await bucket.keys('node.')).sort()).toEqual(['node.x', 'node.y']);
  });

  it('turns any text into one key token and back', async () => {
    for (const text of ['', 'Alice', 'a.b>c*d e', 'https://issuer.example/realms/x', 'ünï©ode']) {
      const token = keyToken(text);
      expect(token).toMatch(/^[A-Za-z0-9_=-]+$/);
      expect(fromKeyToken(token)).toBe(text);
      await bucket.put(`any.${token}`, text);
      expect((await bucket.get(`any.${token}`))?.value).toBe(text);
    }
  });

  it('retries a compare-and-set that lost a race until it wins', async () => {
    await bucket.put('counter', 0);
    const increment = () =>
      withCasRetry(async () => {
        const current = await bucket.get<number>('counter');
        return bucket.update('counter', (current?.value ?? 0) + 1, current?.revision ?? 0);
      }, 20);
    await Promise.all(Array.from({ length: 8 }, increment));
    expect((await bucket.get<number>('counter'))?.value).toBe(8);
  });

  it('fails each call within its bound when the server is gone, and works again when it is back', async () => {
    await server.stop();
    const started = Date.now();
    expect(await code(bucket.get('user.a'))).toBe('store_unavailable');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await code(bucket.put('user.c', 1))).toBe('store_unavailable');
    await server.restart();
    const deadline = Date.now() + 15_000;
    let value: unknown;
    while (Date.now() < deadline) {
      try {
        value = (await bucket.get<{ name: string }>('user.a'))?.value;
        if (value !== undefined) break;
      } catch {
        // reconnecting
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(value).toEqual({ name: 'anne' });
  });

  it('brings an existing bucket to the age limit asked for (and keeps its records)', async () => {
    const kvm = new Kvm(nc);
    const first = await createJetStreamKv({ kvm, module: 'aged', replicas: 1 }).bucket('b', {
      maxAgeMs: 60_000,
    });
    await first.put('kept', { v: 1 });
    await createJetStreamKv({ kvm, module: 'aged', replicas: 1 }).bucket('b', { maxAgeMs: 3_600_000 });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('KV_aged_b')).config.max_age).toBe(3_600_000 * 1_000_000);
    const unlimited = await createJetStreamKv({ kvm, module: 'aged', replicas: 1 }).bucket('b');
    expect((await jsm.streams.info('KV_aged_b')).config.max_age).toBe(0);
    expect((await unlimited.get('kept'))?.value).toEqual({ v: 1 });
  });

  it('refuses replicated buckets on servers whose clustered compare-and-set is not serialised', () => {
    expect(clusteredKvProblem('2.9.10', 3)).toMatch(/needs nats-server 2\.9\.21 or later .*2\.9\.10.*#4320/);
    expect(clusteredKvProblem(undefined, 3)).toMatch(/unknown/);
    expect(clusteredKvProblem('2.9.21', 3)).toBeUndefined();
    expect(clusteredKvProblem('2.10.4', 3)).toBeUndefined();
    expect(clusteredKvProblem('3.0.0', 3)).toBeUndefined();
    expect(clusteredKvProblem('2.9.10', 1)).toBeUndefined();
  });
});
