// Background work that must run once per cluster, not once per replica (session sweeps, node status,
// credential expiry): each job runs on the replica holding its lease. On SQLite there is one process, so it
// always holds it. On KV a lease is a key `<job>` in the bucket `core_leases` holding
// `{ holder, until, fence }`, taken with create or compare-and-set, renewed by its holder before it lapses,
// and taken over by another replica only once it has lapsed — with the fence incremented, so work started
// under an older fence can tell it was superseded.

import type { Logger } from 'pino';
import { isConflict, type KvBucket, type KvStore } from './kv.js';

export interface LeaseRecord {
  holder: string;
  /** Epoch ms the lease lapses at unless renewed. */
  until: number;
  /** Grows by one at every change of holder. */
  fence: number;
}

/** What a job gets each time it runs: whether it still holds the lease, for long work to check. */
export interface LeaseGrant {
  fence: number;
  stillHeld(): boolean;
}

export interface Singleton {
  /** Runs `work` every `everyMs` on the one replica holding the lease `name`. Returns its stop function. */
  every(name: string, everyMs: number, work: (grant: LeaseGrant) => Promise<void>): () => void;
}

const isLease = (value: unknown): value is LeaseRecord => {
  const record = value as Partial<LeaseRecord> | undefined;
  return (
    typeof record?.holder === 'string' && typeof record.until === 'number' && typeof record.fence === 'number'
  );
};

/** Runs `run` at once and then every interval, never two at a time (a slow run skips the ticks it spans). */
function everyTick(everyMs: number, run: () => Promise<void>): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await run();
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}

/**
 * One process: every job runs here, first at once, then every interval; a slow run is not overlapped.
 * `onRun` is told each run (the job-runs metric).
 */
export function localSingleton(log: Logger, onRun?: (job: string) => void): Singleton {
  return {
    every(name, everyMs, work) {
      let fence = 0;
      return everyTick(everyMs, async () => {
        fence += 1;
        onRun?.(name);
        try {
          await work({ fence, stillHeld: () => true });
        } catch (error) {
          log.error({ err: error, job: name }, 'background job failed');
        }
      });
    },
  };
}

export interface KvSingletonOptions {
  kv: KvStore;
  /** This replica's name in the lease (unique per process). */
  holder: string;
  log: Logger;
  /** How long a lease lasts without renewal (default 3 × the job's interval, at least 3 s). */
  ttlMs?: (everyMs: number) => number;
  clock?: () => number;
  /** Told each time this replica runs a job (holding its lease): the job-runs metric. */
  onRun?: (job: string) => void;
}

/**
 * Tries to hold `name` for `ttlMs` from now: creates the lease, renews one this holder has, or takes one
 * that lapsed. Returns the lease held, or undefined when another replica holds it (or the store is away:
 * then nobody here runs the job, which is the safe side).
 */
export async function acquireLease(
  bucket: KvBucket,
  name: string,
  holder: string,
  ttlMs: number,
  now: number,
): Promise<LeaseRecord | undefined> {
  try {
    const current = await bucket.get<LeaseRecord>(name);
    if (!current || !isLease(current.value)) {
      const lease = { holder, until: now + ttlMs, fence: 1 };
      if (current) await bucket.update(name, lease, current.revision);
      else await bucket.create(name, lease);
      return lease;
    }
    const { value, revision } = current;
    if (value.holder !== holder && value.until > now) return undefined;
    const lease = {
      holder,
      until: now + ttlMs,
      fence: value.holder === holder ? value.fence : value.fence + 1,
    };
    await bucket.update(name, lease, revision);
    return lease;
  } catch (error) {
    if (isConflict(error)) return undefined; // another replica won this round
    throw error;
  }
}

/** Jobs run once per cluster: each tick, the replica holding (or able to take) the lease runs the job. */
export function kvSingleton(options: KvSingletonOptions): Singleton {
  const clock = options.clock ?? Date.now;
  return {
    every(name, everyMs, work) {
      const ttlMs = options.ttlMs?.(everyMs) ?? Math.max(3000, everyMs * 3);
      return everyTick(everyMs, async () => {
        try {
          // Opened each round until it opens once (the KV port caches an open bucket, not a failed open).
          const bucket = await options.kv.bucket('leases');
          const lease = await acquireLease(bucket, name, options.holder, ttlMs, clock());
          if (!lease) return;
          // Work is done only while the lease surely holds: stop short of its end (a paused process that
          // resumes after it has lapsed sees stillHeld() false and must not write).
          const until = lease.until - Math.min(1000, ttlMs / 3);
          options.onRun?.(name);
          await work({ fence: lease.fence, stillHeld: () => clock() < until });
        } catch (error) {
          options.log.warn({ err: error, job: name }, 'background job skipped this round');
        }
      });
    },
  };
}
