// Which Homeport processes run on a NATS KV store. Each keeps `replica.<holder>` in core_presence, written at
// start and every PRESENCE_RENEW_MS, in a bucket whose entries age out after PRESENCE_TTL_MS; a process that
// stops deletes its own. `homeport backup restore` reads it to refuse while any replica runs (on SQLite the
// open database file tells the same). Nothing else relies on it: a lost write only delays the next renewal.

import type { Logger } from '../logger.js';
import { type KvStore, keyToken } from './kv.js';

export const PRESENCE_BUCKET = 'presence';
/** An entry not renewed for this long is gone (the bucket's age limit), so a crashed replica drops out. */
export const PRESENCE_TTL_MS = 30_000;
export const PRESENCE_RENEW_MS = 10_000;

export interface PresenceRecord {
  holder: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: string;
  seenAt: string;
}

export interface Presence {
  /** Stops renewing and deletes the entry. */
  stop(): Promise<void>;
}

const keyOf = (holder: string) => `replica.${keyToken(holder)}`;

export function startPresence(options: {
  kv: KvStore;
  record: Omit<PresenceRecord, 'seenAt'>;
  clock: () => number;
  log: Logger;
}): Presence {
  const { kv, record, clock, log } = options;
  const key = keyOf(record.holder);
  let failing = false;
  const renew = async () => {
    try {
      const bucket = await kv.bucket(PRESENCE_BUCKET, { maxAgeMs: PRESENCE_TTL_MS });
      await bucket.put<PresenceRecord>(key, { ...record, seenAt: new Date(clock()).toISOString() });
      if (failing) log.info('presence record written again');
      failing = false;
    } catch (error) {
      // Logged once per failing stretch: the store being away is reported elsewhere (readiness).
      if (!failing)
        log.warn({ err: (error as Error).message }, 'could not write this replica’s presence record');
      failing = true;
    }
  };
  let renewing = renew();
  const timer = setInterval(() => {
    renewing = renew();
  }, PRESENCE_RENEW_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await renewing;
      try {
        await (await kv.bucket(PRESENCE_BUCKET, { maxAgeMs: PRESENCE_TTL_MS })).delete(key);
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'could not delete this replica’s presence record');
      }
    },
  };
}

/** The processes whose presence record is younger than PRESENCE_TTL_MS at `now`. */
export async function livePresence(kv: KvStore, now: number): Promise<PresenceRecord[]> {
  const bucket = await kv.bucket(PRESENCE_BUCKET, { maxAgeMs: PRESENCE_TTL_MS });
  const live: PresenceRecord[] = [];
  for (const key of await bucket.keys('replica.')) {
    const entry = await bucket.get<PresenceRecord>(key);
    if (entry === undefined) continue;
    const seen = Date.parse(String(entry.value.seenAt));
    if (Number.isFinite(seen) && now - seen < PRESENCE_TTL_MS) live.push(entry.value);
  }
  return live;
}
