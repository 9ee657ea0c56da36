// Whole KV buckets at the stream level, for `homeport backup` on a KV store: the buckets of an account, every
// live entry of one (read through an ordered consumer until nothing is pending), and a bucket brought to
// exactly a given set of entries. Values are the bytes as stored; nothing is decoded.

import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { Kvm } from '@nats-io/kv';

export interface BucketInfo {
  /** The bucket's name (`<module>_<name>`); its stream is `KV_<bucket>`. */
  bucket: string;
  /** The bucket's age limit, if it has one. */
  maxAgeMs: number | undefined;
  /** Messages in the stream, entries and delete markers. */
  messages: number;
}

export interface BucketEntry {
  key: string;
  value: Uint8Array;
}

const FETCH_BATCH = 1000;
const FETCH_EXPIRES_MS = 5000;

/** The KV buckets in the connection's account, by name. */
export async function listBuckets(js: JetStreamClient): Promise<BucketInfo[]> {
  const jsm = await js.jetstreamManager();
  const found: BucketInfo[] = [];
  for await (const info of jsm.streams.list()) {
    const { name, max_age: maxAge } = info.config;
    if (!name.startsWith('KV_')) continue;
    found.push({
      bucket: name.slice(3),
      maxAgeMs: maxAge > 0 ? Math.round(maxAge / 1_000_000) : undefined,
      messages: info.state.messages,
    });
  }
  return found.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
}

/**
 * Every live entry of a bucket, by key: each key's value as it stood when the consumer reached it (a key
 * written during the read comes with its newer value; a bucket keeps one value per key, so no older state
 * can be read back). Deleted and purged keys are left out.
 */
export async function readBucket(js: JetStreamClient, bucket: string): Promise<BucketEntry[]> {
  const jsm = await js.jetstreamManager();
  const stream = `KV_${bucket}`;
  if ((await jsm.streams.info(stream)).state.messages === 0) return [];
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const prefix = `$KV.${bucket}.`;
  const entries = new Map<string, Uint8Array>();
  for (let caughtUp = false; !caughtUp; ) {
    const batch = await consumer.fetch({ max_messages: FETCH_BATCH, expires: FETCH_EXPIRES_MS });
    let got = 0;
    for await (const message of batch) {
      got += 1;
      const key = message.subject.slice(prefix.length);
      const operation = message.headers?.get('KV-Operation');
      if (operation === 'DEL' || operation === 'PURGE') entries.delete(key);
      else entries.set(key, message.data);
      if (message.info.pending === 0) {
        caughtUp = true;
        batch.stop();
        break;
      }
    }
    // Nothing within the wait: whatever was there has aged out or been purged meanwhile.
    if (got === 0) caughtUp = true;
  }
  return [...entries]
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Removes every entry of a bucket (its stream is purged; the bucket and its settings stay). */
export async function purgeBucket(js: JetStreamClient, bucket: string): Promise<void> {
  const jsm = await js.jetstreamManager();
  await jsm.streams.purge(`KV_${bucket}`);
}

/**
 * Brings a bucket to exactly `entries`: created when missing (one value per key, reads from the leader,
 * `replicas` copies, `maxAgeMs` as an age limit), purged, then written, 256 puts in flight at a time.
 */
export async function writeBucket(
  js: JetStreamClient,
  kvm: Kvm,
  bucket: string,
  options: { replicas: number; maxAgeMs: number | undefined },
  entries: readonly BucketEntry[],
): Promise<void> {
  const kv = await kvm.create(bucket, {
    history: 1,
    replicas: options.replicas,
    allow_direct: false,
    ...(options.maxAgeMs === undefined ? {} : { ttl: options.maxAgeMs }),
  });
  await purgeBucket(js, bucket);
  for (let start = 0; start < entries.length; start += 256) {
    await Promise.all(entries.slice(start, start + 256).map((entry) => kv.put(entry.key, entry.value)));
  }
}
