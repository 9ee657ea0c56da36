// The KV port on NATS JetStream KV: one bucket per module and name, JSON values, revisions from the
// stream sequence, conflicts from JetStream's "wrong last sequence", and every call raced against a
// deadline so a cluster without quorum fails a request within a bound instead of holding it.

import { Bucket, type KV, type Kvm } from '@nats-io/kv';
import { type KvBucket, type KvBucketOptions, type KvEntry, type KvStore, StoreError } from './kv.js';

/** The longest a store call may take before it counts as unavailable. */
export const KV_CALL_TIMEOUT_MS = 3000;

/** JetStream's API error for a write whose expected last sequence did not match. */
const WRONG_LAST_SEQUENCE = 10071;

const isWrongSequence = (error: unknown): boolean => {
  const candidate = error as { code?: unknown; api_error?: { err_code?: unknown }; message?: unknown };
  return (
    candidate.code === WRONG_LAST_SEQUENCE ||
    candidate.api_error?.err_code === WRONG_LAST_SEQUENCE ||
    (typeof candidate.message === 'string' && candidate.message.includes('wrong last sequence'))
  );
};

async function bounded<T>(what: string, work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreError('store_unavailable', `the store did not answer ${what} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    if (isWrongSequence(error)) throw new StoreError('store_conflict', `${what}: changed meanwhile`);
    throw new StoreError('store_unavailable', `the store failed ${what}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');

/** One listing of the keys under `prefix` (whole tokens), and a way to abandon it (ends its consumer). */
function listKeys(kv: KV, prefix: string | undefined): { keys: Promise<string[]>; stop: () => void } {
  let iterator: { stop(): void } | undefined;
  let stopped = false;
  const keys = (async () => {
    const found: string[] = [];
    const listing = await kv.keys(prefix === undefined ? '>' : `${prefix}>`);
    iterator = listing;
    if (stopped) listing.stop();
    for await (const key of listing) found.push(key);
    return found;
  })();
  keys.catch(() => undefined); // an abandoned listing's failure is nobody's
  return {
    keys,
    stop() {
      stopped = true;
      iterator?.stop();
    },
  };
}

function bucketOf(
  kv: KV,
  name: string,
  timeoutMs: number,
  readGate: ((what: string) => void) | undefined,
): KvBucket {
  const call = <T>(what: string, work: Promise<T>) => bounded(`${what} in ${name}`, work, timeoutMs);
  return {
    name,
    async get<T>(key: string): Promise<KvEntry<T> | undefined> {
      readGate?.(`get ${key} in ${name}`);
      const entry = await call(`get ${key}`, kv.get(key));
      if (entry?.operation !== 'PUT') return undefined;
      // Values are the JSON this port wrote; each repository checks the shape it reads.
      return { value: entry.json<T>(), revision: entry.revision };
    },
    create: (key, value) => call(`create ${key}`, kv.create(key, encode(value))),
    update: (key, value, revision) => call(`update ${key}`, kv.update(key, encode(value), revision)),
    put: (key, value) => call(`put ${key}`, kv.put(key, encode(value))),
    async delete(key, revision) {
      await call(`delete ${key}`, kv.delete(key, revision === undefined ? {} : { previousSeq: revision }));
    },
    async keys(prefix) {
      readGate?.(`keys ${prefix ?? '*'} in ${name}`);
      const what = `keys ${prefix ?? '*'} in ${name}`;
      // A listing creates a consumer on the stream (several API calls): twice the bound of a single read,
      // spent as two attempts. The client's listing ends on the last key's pending count or, failing that,
      // on a 5 s idle heartbeat; under load one sometimes missed the first and ran past the bound, so a
      // listing not done in one bound is dropped and made again on a fresh consumer.
      return bounded(
        what,
        (async () => {
          const first = listKeys(kv, prefix);
          const done = await Promise.race([
            first.keys,
            new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref()),
          ]);
          if (done !== undefined) return done;
          first.stop();
          return listKeys(kv, prefix).keys;
        })(),
        timeoutMs * 2,
      );
    },
  };
}

/**
 * The oldest nats-server whose clustered compare-and-set is serialised: before 2.9.21 two writes expecting
 * the same revision could both be accepted on a replicated stream (nats-server#4320), which would break
 * every uniqueness, single-use and lease guarantee built on it.
 */
export const MIN_CLUSTERED_KV_SERVER = [2, 9, 21] as const;

/** Why KV with `replicas` copies is unsafe on this server version, or undefined when it is fine. */
export function clusteredKvProblem(serverVersion: string | undefined, replicas: number): string | undefined {
  if (replicas <= 1) return undefined;
  const parts = /^(\d+)\.(\d+)\.(\d+)/
    .exec(serverVersion ?? '')
    ?.slice(1)
    .map(Number);
  const [major = 0, minor = 0, patch = 0] = parts ?? [];
  const [wantMajor, wantMinor, wantPatch] = MIN_CLUSTERED_KV_SERVER;
  const older =
    major !== wantMajor ? major < wantMajor : minor !== wantMinor ? minor < wantMinor : patch < wantPatch;
  if (!parts || older) {
    return `HOMEPORT_KV_REPLICAS=${replicas} needs nats-server ${MIN_CLUSTERED_KV_SERVER.join('.')} or later on every node (this one is ${serverVersion ?? 'unknown'}): older servers can accept two compare-and-set writes at the same revision on a replicated stream (nats-server#4320)`;
  }
  return undefined;
}

export interface JetStreamKvOptions {
  kvm: Kvm;
  /** Bucket name prefix: the module's name (`accounts`, `nas`). */
  module: string;
  /** Copies of each bucket in a cluster (1 on a single server, 3 on a three-node cluster). */
  replicas: number;
  timeoutMs?: number;
  /**
   * Called before every read; throws to refuse it. Replicated stores pass the quorum watch's check, so a
   * replica whose writes no longer reach a quorum stops trusting what a cut-off leader still answers.
   */
  readGate?: (what: string) => void;
}

const nanos = (ms: number) => ms * 1_000_000;

/**
 * Brings an existing bucket to the replicas and age limit asked for: JetStream's create returns a bucket that
 * exists as it is, so raising HOMEPORT_KV_REPLICAS from 1 to 3 would otherwise change nothing, silently.
 * Every replica runs with the same settings, so they agree on the update.
 */
async function reconcile(kv: KV, replicas: number, maxAgeMs: number | undefined): Promise<void> {
  if (!(kv instanceof Bucket)) return;
  const { config } = (await kv.status()).streamInfo;
  const maxAge = maxAgeMs === undefined ? 0 : nanos(maxAgeMs);
  if (config.num_replicas === replicas && config.max_age === maxAge) return;
  // JetStream refuses a duplicate window longer than the age limit.
  const window = maxAge === 0 ? config.duplicate_window : Math.min(config.duplicate_window, maxAge);
  await kv.jsm.streams.update(config.name, {
    ...config,
    num_replicas: replicas,
    max_age: maxAge,
    duplicate_window: window,
  });
}

/** A module's view of JetStream KV: buckets `<module>_<name>`, created on first use. */
export function createJetStreamKv(options: JetStreamKvOptions): KvStore {
  const timeoutMs = options.timeoutMs ?? KV_CALL_TIMEOUT_MS;
  const opened = new Map<string, Promise<KvBucket>>();
  return {
    bucket(name: string, bucketOptions: KvBucketOptions = {}) {
      const full = `${options.module}_${name}`;
      let bucket = opened.get(full);
      if (!bucket) {
        bucket = bounded(
          `opening bucket ${full}`,
          (async () => {
            const kv = await options.kvm.create(full, {
              history: 1,
              replicas: options.replicas,
              // Reads from the stream leader only: "direct get" lets any replica answer, and a follower can
              // return the value from before an acknowledged write (measured on a 3-node cluster).
              allow_direct: false,
              ...(bucketOptions.maxAgeMs === undefined ? {} : { ttl: bucketOptions.maxAgeMs }),
            });
            await reconcile(kv, options.replicas, bucketOptions.maxAgeMs);
            return kv;
          })(),
          timeoutMs * 3,
        ).then((kv) => bucketOf(kv, full, timeoutMs, options.readGate));
        // A failed open is not cached: the next caller tries again.
        bucket.catch(() => opened.delete(full));
        opened.set(full, bucket);
      }
      return bucket;
    },
  };
}
