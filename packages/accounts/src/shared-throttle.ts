// Login and registration throttles counted across replicas (KV store): failed logins per IP and per
// username, and registrations per IP, live in the store, so a brute force spread over N replicas gets one
// budget, not N. Logins are rare next to other requests and read the store anyway, so each one reads its two
// throttle records (in parallel) before any hashing and a failure is written before it is answered.
// Attempts in flight are capped per replica. Trade-offs: docs/design.md, "Throttles across replicas".

import { type KvBucket, type KvStore, keyToken, type Logger, withCasRetry } from '@homeport/core';
import {
  blockedAfterFailure,
  type LoginLimiter,
  type LoginThrottleOptions,
  type RegistrationLimiter,
  type RegistrationThrottleOptions,
  type ThrottleRefusal,
} from './throttle.js';

/** Concurrent failures of one address on several replicas all bump one record: retry past a burst. */
const CAS_TRIES = 32;

interface FailureRecord {
  failures: number;
  blockedUntil: number;
  lastFailureAt: number;
}

interface RegistrationRecord {
  count: number;
  windowStart: number;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const isFailureRecord = (value: unknown): value is FailureRecord => {
  const record = value as Partial<FailureRecord> | undefined;
  return finite(record?.failures) && finite(record.blockedUntil) && finite(record.lastFailureAt);
};

const isRegistrationRecord = (value: unknown): value is RegistrationRecord => {
  const record = value as Partial<RegistrationRecord> | undefined;
  return finite(record?.count) && finite(record.windowStart);
};

/** Attempts in flight per client IP on this replica: a cap that needs no store (and costs it no writes). */
function inFlightCounter(cap: number) {
  const counts = new Map<string, number>();
  return {
    /** Takes a slot; undefined when the IP has `cap` attempts in flight here. The release runs once. */
    take(ip: string): (() => void) | undefined {
      const held = counts.get(ip) ?? 0;
      if (held >= cap) return undefined;
      counts.set(ip, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(ip) ?? 1) - 1;
        if (left <= 0) counts.delete(ip);
        else counts.set(ip, left);
      };
    },
  };
}

/** Opens a bucket once it answers; a failed open is not kept, so the next attempt tries again. */
function lazyBucket(kv: KvStore, name: string, maxAgeMs: number): () => Promise<KvBucket> {
  let bucket: Promise<KvBucket> | undefined;
  return () => {
    if (!bucket) {
      const opening = kv.bucket(name, { maxAgeMs });
      opening.catch(() => {
        if (bucket === opening) bucket = undefined; // the caller gets the error; this only forgets it
      });
      bucket = opening;
    }
    return bucket;
  };
}

export interface SharedLoginThrottleOptions extends Omit<LoginThrottleOptions, 'maxEntries'> {
  /** The accounts module's KV store; records go to its bucket `throttle_login`. */
  kv: KvStore;
  log: Logger;
}

/**
 * Failed logins per IP and per username counted in the store, with the same rules as `LoginThrottle`
 * (backoff past the allowance, a success forgives the username, failures forgotten after a quiet spell).
 * A store that does not answer refuses the attempt (`store_unavailable`, 503): a throttle it cannot read
 * never admits an unthrottled guess.
 */
export function createSharedLoginThrottle(options: SharedLoginThrottleOptions): LoginLimiter {
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const forgetAfterMs = options.forgetAfterMs ?? 15 * 60_000;
  const maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
  const inFlight = inFlightCounter(options.inFlightPerIp ?? 32);
  // A record is rewritten at every failure; past both the backoff and the forgetting it is garbage.
  const bucket = lazyBucket(options.kv, 'throttle_login', Math.max(forgetAfterMs, maxDelayMs));
  const ipKey = (ip: string) => `ip.${keyToken(ip)}`;
  const userKey = (username: string) => `user.${keyToken(username.toLowerCase())}`;

  /** The record as it counts now: one forgotten (quiet long enough, not blocked) counts as none. */
  const current = (value: unknown, now: number): FailureRecord | undefined => {
    if (!isFailureRecord(value)) return undefined; // not ours: overwritten by the next failure
    if (value.blockedUntil <= now && now - value.lastFailureAt > forgetAfterMs) return undefined;
    return value;
  };

  const recordFailure = (store: KvBucket, key: string, allowed: number) =>
    withCasRetry(async () => {
      const entry = await store.get<unknown>(key);
      const at = clock();
      const before = current(entry?.value, at);
      const failures = (before?.failures ?? 0) + 1;
      const next: FailureRecord = {
        failures,
        lastFailureAt: at,
        blockedUntil: blockedAfterFailure(failures, allowed, at, options) ?? before?.blockedUntil ?? 0,
      };
      if (entry) await store.update(key, next, entry.revision);
      else await store.create(key, next);
    }, CAS_TRIES);

  return {
    async begin(ip, username) {
      const release = inFlight.take(ip);
      if (!release) return { retryAfterSeconds: 1 };
      let userHadFailures: boolean;
      let store: KvBucket;
      try {
        store = await bucket();
        const [byIp, byUser] = await Promise.all([
          store.get<unknown>(ipKey(ip)),
          store.get<unknown>(userKey(username)),
        ]);
        const now = clock();
        const ipRecord = current(byIp?.value, now);
        const userRecord = current(byUser?.value, now);
        const waitMs = Math.max(ipRecord?.blockedUntil ?? 0, userRecord?.blockedUntil ?? 0) - now;
        if (waitMs > 0) {
          release();
          return { retryAfterSeconds: Math.ceil(waitMs / 1000) };
        }
        userHadFailures = byUser !== undefined;
      } catch (error) {
        release();
        throw error;
      }
      let finished = false;
      return {
        async finish(success) {
          if (finished) return;
          finished = true;
          try {
            if (success) {
              if (!userHadFailures) return; // nothing to forgive: a plain login costs no write
              // Forgiving is a courtesy: when it fails, the failures are forgotten later on their own.
              await store.delete(userKey(username)).catch((error: unknown) => {
                log.warn({ err: error, username }, 'could not clear failed logins after a success');
              });
              return;
            }
            // Not caught: a failure the store did not take fails the request (503) rather than go uncounted.
            await Promise.all([
              recordFailure(store, ipKey(ip), options.perIp),
              recordFailure(store, userKey(username), options.perUser),
            ]);
          } finally {
            release();
          }
        },
      };
    },
  };
}

export interface SharedRegistrationThrottleOptions extends Omit<RegistrationThrottleOptions, 'maxEntries'> {
  /** The accounts module's KV store; records go to its bucket `throttle_registration`. */
  kv: KvStore;
}

/**
 * Registrations per IP and window counted in the store, every attempt before its password is hashed, as
 * `RegistrationThrottle` does in one process. Fails closed like the login throttle.
 */
export function createSharedRegistrationThrottle(
  options: SharedRegistrationThrottleOptions,
): RegistrationLimiter {
  const clock = options.clock ?? Date.now;
  const { windowMs, perIp } = options;
  const inFlight = inFlightCounter(options.inFlightPerIp ?? 2);
  // Written at every attempt, so a record lives at least a window past the attempt that opened it.
  const bucket = lazyBucket(options.kv, 'throttle_registration', windowMs);

  /** Counts one attempt unless the window's allowance is spent; the refusal otherwise. */
  const count = (store: KvBucket, key: string) =>
    withCasRetry(async (): Promise<ThrottleRefusal | undefined> => {
      const entry = await store.get<unknown>(key);
      const now = clock();
      const record = isRegistrationRecord(entry?.value) ? entry.value : undefined;
      const open = record !== undefined && now - record.windowStart < windowMs;
      if (open && record.count >= perIp) {
        return { retryAfterSeconds: Math.max(1, Math.ceil((record.windowStart + windowMs - now) / 1000)) };
      }
      const next: RegistrationRecord = open
        ? { ...record, count: record.count + 1 }
        : { count: 1, windowStart: now };
      if (entry) await store.update(key, next, entry.revision);
      else await store.create(key, next);
      return undefined;
    }, CAS_TRIES);

  return {
    async begin(ip) {
      const release = inFlight.take(ip);
      if (!release) return { retryAfterSeconds: 1 };
      try {
        const refusal = await count(await bucket(), `ip.${keyToken(ip)}`);
        if (refusal) {
          release();
          return refusal;
        }
      } catch (error) {
        release();
        throw error;
      }
      return { finish: release };
    },
  };
}
