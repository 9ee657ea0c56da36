// A KV port with a hook before every call, to make a store on it die half-way through an operation
// (a process killed between two writes) or hold its writes at a gate while another store goes ahead.

import { type KvBucket, type KvStore, StoreError } from '../store/kv.js';

export type KvMethod = 'get' | 'create' | 'update' | 'put' | 'delete' | 'keys';
/** Runs before each call; throwing fails the call, waiting delays it. `bucket` is the short name. */
export type KvHook = (bucket: string, method: KvMethod, key: string | undefined) => Promise<void> | void;

export const isWrite = (method: KvMethod) => method !== 'get' && method !== 'keys';

export function interceptedKv(kv: KvStore, hook: KvHook): KvStore {
  return {
    async bucket(name, options) {
      const inner: KvBucket = await kv.bucket(name, options);
      return {
        name: inner.name,
        async get<T>(key: string) {
          await hook(name, 'get', key);
          return inner.get<T>(key);
        },
        async create<T>(key: string, value: T) {
          await hook(name, 'create', key);
          return inner.create(key, value);
        },
        async update<T>(key: string, value: T, revision: number) {
          await hook(name, 'update', key);
          return inner.update(key, value, revision);
        },
        async put<T>(key: string, value: T) {
          await hook(name, 'put', key);
          return inner.put(key, value);
        },
        async delete(key, revision) {
          await hook(name, 'delete', key);
          return inner.delete(key, revision);
        },
        async keys(prefix) {
          await hook(name, 'keys', prefix);
          return inner.keys(prefix);
        },
      };
    },
  };
}

/** The process "dies" when it tries its write number `writes + 1`: that call and every later one fail. */
export function dyingKv(kv: KvStore, writes: number): KvStore {
  let done = 0;
  let dead = false;
  return interceptedKv(kv, (_bucket, method) => {
    if (dead) throw new Error('this process died');
    if (!isWrite(method)) return;
    if (done >= writes) {
      dead = true;
      throw new Error('this process died');
    }
    done += 1;
  });
}

/** A promise with its resolver. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * Holds the writes to one bucket at a gate: `entered` resolves when the first arrives, `open()` lets them
 * all through.
 */
export function gatedWrites(kv: KvStore, bucket: string) {
  const entered = deferred();
  const gate = deferred();
  return {
    kv: interceptedKv(kv, async (name, method) => {
      if (name !== bucket || !isWrite(method)) return;
      entered.resolve();
      await gate.promise;
    }),
    entered: entered.promise,
    open: gate.resolve,
  };
}

/**
 * Applies every `method` call to one bucket and then fails it as a timeout would (`store_unavailable`):
 * the write landed, its answer was lost. `meanwhile` runs between the two (another writer going ahead).
 */
export function answersLost(
  kv: KvStore,
  bucket: string,
  method: 'update' | 'create' | 'put',
  meanwhile: () => Promise<void> = async () => undefined,
): KvStore {
  return {
    async bucket(name, options) {
      const inner = await kv.bucket(name, options);
      if (name !== bucket) return inner;
      const lose = async <R>(work: Promise<R>): Promise<R> => {
        await work;
        await meanwhile();
        throw new StoreError('store_unavailable', `the answer to this ${method} was lost`);
      };
      return {
        ...inner,
        name: inner.name,
        get: (key) => inner.get(key),
        keys: (prefix) => inner.keys(prefix),
        delete: (key, revision) => inner.delete(key, revision),
        create: (key, value) =>
          method === 'create' ? lose(inner.create(key, value)) : inner.create(key, value),
        update: (key, value, revision) =>
          method === 'update' ? lose(inner.update(key, value, revision)) : inner.update(key, value, revision),
        put: (key, value) => (method === 'put' ? lose(inner.put(key, value)) : inner.put(key, value)),
      } satisfies KvBucket;
    },
  };
}
