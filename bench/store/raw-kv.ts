// The store's buckets opened with the @nats-io/kv client directly, with the options core's KV port creates
// them with (kv-jetstream.ts: history 1, the replica count, no direct gets), and the key layout of the
// accounts and NAS stores (their kv-keys.ts / kv-store.ts), for the raw KV side of each comparison.

import { keyToken } from '@homeport/core';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** Calls one raw listing keeps in flight: as many as the NAS store's listing (kv-support.ts IN_FLIGHT). */
const IN_FLIGHT = 16;

export interface RawBuckets {
  records: KV;
  nodes: KV;
  exports: KV;
  keys: {
    session(tokenHash: string): string;
    user(id: string): string;
    export(id: string): string;
  };
  /** A get whose value is JSON, decoded; an absent key throws (the fixture wrote it). */
  getJson<T>(bucket: KV, key: string): Promise<{ value: T; revision: number }>;
  /** Every key under a filter, as the store lists them. */
  listKeys(bucket: KV, filter: string): Promise<string[]>;
  /** Values are written as the port writes them: JSON in UTF-8. */
  encode(value: unknown): Uint8Array;
  mapBounded<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]>;
}

/** Opens `<accountsModule>_records`, `<nasModule>_nodes` and `<nasModule>_exports` as the port does. */
export async function openRawBuckets(
  nc: NatsConnection,
  names: { accountsModule: string; nasModule: string },
  replicas: number,
): Promise<RawBuckets> {
  const kvm = new Kvm(nc);
  const open = (name: string) => kvm.create(name, { history: 1, replicas, allow_direct: false });
  const [records, nodes, exports] = await Promise.all([
    open(`${names.accountsModule}_records`),
    open(`${names.nasModule}_nodes`),
    open(`${names.nasModule}_exports`),
  ]);
  return {
    records,
    nodes,
    exports,
    keys: {
      session: (tokenHash) => `session.hash.${keyToken(tokenHash)}`,
      user: (id) => `user.id.${keyToken(id)}`,
      export: (id) => `export.${keyToken(id)}`,
    },
    async getJson<T>(bucket: KV, key: string) {
      const entry: KvEntry | null = await bucket.get(key);
      if (entry?.operation !== 'PUT') throw new Error(`raw get: no value at ${key}`);
      // The JSON the store wrote at this key; the caller names the fields it reads.
      return { value: entry.json<T>(), revision: entry.revision };
    },
    async listKeys(bucket, filter) {
      const found: string[] = [];
      for await (const key of await bucket.keys(filter)) found.push(key);
      return found;
    },
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    async mapBounded(items, work) {
      const results = new Array(items.length);
      let next = 0;
      const lane = async () => {
        while (next < items.length) {
          const index = next;
          next += 1;
          results[index] = await work(items[index] as (typeof items)[number]); // index < items.length
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
      return results;
    },
  };
}
