// The per-IP request limit counted across replicas (KV store): every replica counts in memory — nothing on
// the request path waits for the store — and every sync period writes its counts for the current window
// under its own key in `core_ratelimit` and reads the other replicas', so an address over the budget across
// the cluster is refused on every replica within about two periods. Design and trade-off: docs/design.md,
// "Throttles across replicas".

import { randomBytes } from 'node:crypto';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from 'pino';
import { type KvBucket, type KvStore, withCasRetry } from '../store/kv.js';

export interface SharedRequestCountsOptions {
  kv: KvStore;
  /** The limit's window; windows are aligned on the epoch so every replica agrees which one is current. */
  windowMs: number;
  log: Logger;
  /** How often counts are written and read (default 250 ms): the refusal delay is about twice this. */
  syncIntervalMs?: number;
  /** Keys shared per replica and sync, the largest counts first (bounds the record under a wide spray). */
  maxSharedKeys?: number;
  /** Keys counted per replica and window; the oldest go first past it. */
  maxLocalKeys?: number;
  clock?: () => number;
}

export interface SharedRequestCounts {
  /** Counts one request of `key`; the cluster-wide count in this window and the ms left in it. */
  increment(key: string): { current: number; ttl: number };
  /** Writes this replica's counts and reads the others' now (also what every period does). */
  sync(): Promise<void>;
  /** Stops the periodic sync after writing what is left. */
  close(): Promise<void>;
}

/** What a replica writes under `counts.<replica>`. */
interface Snapshot {
  window: number;
  counts: Record<string, number>;
}

/** Who counts: replica id → epoch ms its entry lapses at unless the replica renews it. */
interface Roster {
  replicas: Record<string, number>;
}

/** A replica renews its roster entry this often; a stopped one drops out of the others' reads a TTL later. */
const ROSTER_RENEW_MS = 20_000;
const ROSTER_TTL_MS = 60_000;
const ROSTER_KEY = 'roster';
const countsKey = (replica: string) => `counts.${replica}`;
const REPLICA_ID = /^[0-9a-f]{16}$/;

const isCount = (count: unknown) => typeof count === 'number' && Number.isSafeInteger(count) && count >= 0;

const isSnapshot = (value: unknown): value is Snapshot => {
  const candidate = value as Partial<Snapshot> | undefined;
  return (
    typeof candidate?.window === 'number' &&
    typeof candidate.counts === 'object' &&
    candidate.counts !== null &&
    Object.values(candidate.counts).every(isCount)
  );
};

const isRoster = (value: unknown): value is Roster => {
  const candidate = value as Partial<Roster> | undefined;
  return (
    typeof candidate?.replicas === 'object' &&
    candidate.replicas !== null &&
    Object.values(candidate.replicas).every((until) => typeof until === 'number')
  );
};

/**
 * Request counts for the rate limit, shared through the KV store by replicas that each count locally.
 * Replicas find each other through one roster key (read with a get, never a key listing: listing keys
 * creates a JetStream consumer, too heavy for every period).
 *
 * @example
 *   const counts = createSharedRequestCounts({ kv, windowMs: 60_000, log });
 *   app.register(rateLimit, { max, timeWindow: 60_000, store: rateLimitStoreOf(counts) });
 */
export function createSharedRequestCounts(options: SharedRequestCountsOptions): SharedRequestCounts {
  const { kv, windowMs, log } = options;
  if (!(windowMs >= 1000)) throw new Error(`rate-limit window must be at least 1 s (got ${windowMs} ms)`);
  const clock = options.clock ?? Date.now;
  const syncIntervalMs = options.syncIntervalMs ?? 250;
  const maxSharedKeys = options.maxSharedKeys ?? 5000;
  const maxLocalKeys = options.maxLocalKeys ?? 100_000;
  // Hex only: a key is one NATS token. Random per process, so two replicas in one process stay apart.
  const replicaId = randomBytes(8).toString('hex');
  let window = Math.floor(clock() / windowMs);
  let local = new Map<string, number>();
  /** The other replicas' counts for `window`, summed; as of the last read that answered. */
  let others = new Map<string, number>();
  let dirty = false;
  let rosterRenewAt = 0;
  let storeFailing = false;
  let closed = false;
  // The bucket's age is only garbage collection (a stopped replica's counts go away); readers look at the
  // window in each record, so a bucket made earlier with another age stays correct.
  let bucket: Promise<KvBucket> | undefined;
  const openBucket = (): Promise<KvBucket> => {
    if (!bucket) {
      const opening = kv.bucket('ratelimit', { maxAgeMs: Math.max(2 * windowMs, 2 * ROSTER_TTL_MS) });
      // A failed open is not kept: the next sync tries again (the failure itself is handled there).
      opening.catch(() => {
        if (bucket === opening) bucket = undefined;
      });
      bucket = opening;
    }
    return bucket;
  };

  /** Moves to the window `now` falls in; counts of a window that ended are dropped. */
  const roll = (now: number): void => {
    const current = Math.floor(now / windowMs);
    if (current === window) return;
    window = current;
    local = new Map();
    others = new Map();
    dirty = false;
  };

  const snapshot = (): Snapshot => {
    let entries = [...local];
    if (entries.length > maxSharedKeys) {
      // Small counts are what gets left out: they are far from any limit.
      entries = entries.sort((a, b) => b[1] - a[1]).slice(0, maxSharedKeys);
    }
    return { window, counts: Object.fromEntries(entries) };
  };

  /** Puts this replica in the roster (or renews it there) and drops the entries that lapsed. */
  const renewRoster = (store: KvBucket) =>
    withCasRetry(async () => {
      const entry = await store.get<unknown>(ROSTER_KEY);
      const now = clock();
      const replicas: Record<string, number> = {};
      if (entry && isRoster(entry.value)) {
        for (const [id, until] of Object.entries(entry.value.replicas))
          if (until > now && REPLICA_ID.test(id)) replicas[id] = until;
      }
      replicas[replicaId] = now + ROSTER_TTL_MS;
      if (entry) await store.update(ROSTER_KEY, { replicas }, entry.revision);
      else await store.create(ROSTER_KEY, { replicas });
    }, 16);

  const readOthers = async (store: KvBucket, reading: number): Promise<Map<string, number>> => {
    const summed = new Map<string, number>();
    const roster = await store.get<unknown>(ROSTER_KEY);
    const now = clock();
    const ids = roster && isRoster(roster.value) ? Object.entries(roster.value.replicas) : [];
    const live = ids.filter(([id, until]) => id !== replicaId && until > now && REPLICA_ID.test(id));
    const records = await Promise.all(live.map(([id]) => store.get<unknown>(countsKey(id))));
    for (const record of records) {
      // Written by Homeport replicas; a record of another shape (or window) counts for nothing.
      if (!record || !isSnapshot(record.value) || record.value.window !== reading) continue;
      for (const [key, count] of Object.entries(record.value.counts))
        summed.set(key, (summed.get(key) ?? 0) + count);
    }
    return summed;
  };

  const sync = async (): Promise<void> => {
    roll(clock());
    const reading = window;
    try {
      const store = await openBucket();
      if (clock() >= rosterRenewAt) {
        await renewRoster(store);
        rosterRenewAt = clock() + ROSTER_RENEW_MS;
      }
      if (dirty) {
        dirty = false;
        await store.put(countsKey(replicaId), snapshot());
      }
      const summed = await readOthers(store, reading);
      if (window === reading) others = summed;
      if (storeFailing) log.info({}, 'rate limit: the store answers again; counting across replicas');
      storeFailing = false;
    } catch (error) {
      dirty = true;
      // The limit still holds on this replica alone (its own counts, and the others' as last read): a
      // store outage loosens it to one budget per replica, it never lifts it.
      if (!storeFailing)
        log.warn({ err: error }, 'rate limit: the store does not answer; counting on this replica only');
      storeFailing = true;
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = sync().finally(() => {
        running = undefined;
        schedule();
      });
    }, syncIntervalMs);
    timer.unref();
  };
  schedule();

  return {
    increment(key) {
      const now = clock();
      roll(now);
      let count = (local.get(key) ?? 0) + 1;
      if (count === 1 && local.size >= maxLocalKeys) {
        const oldest = local.keys().next().value;
        if (oldest !== undefined) local.delete(oldest);
      }
      // A count that would pass the safe-integer range stops growing; it is far over any limit by then.
      if (!Number.isSafeInteger(count)) count -= 1;
      local.set(key, count);
      dirty = true;
      return { current: count + (others.get(key) ?? 0), ttl: (window + 1) * windowMs - now };
    },
    sync,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
      // The last counts stay in the store (and the replica in the roster until its entry lapses): a replica
      // leaving gives no budget back at once. Not while the store is failing: a shutdown would wait it out.
      if (dirty && !storeFailing) await sync();
    },
  };
}

/** The counts as a store of @fastify/rate-limit (the plugin builds it with `new`, and a child per route). */
export function rateLimitStoreOf(counts: SharedRequestCounts): FastifyRateLimitStoreCtor {
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void) {
      callback(null, counts.increment(key));
    }
    // One budget per address across every limited route, as with the plugin's own store and no route config.
    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
