// Quorum confirmation for a replicated KV store. A stream leader cut off from its peers keeps answering
// reads until it notices it lost them and steps down (about ten seconds on nats-server 2.9): a replica
// connected to it would go on admitting sessions that the majority side has revoked meanwhile. A write needs
// a quorum, so each replica writes a heartbeat every half second and refuses every read (store_unavailable)
// once none has been acknowledged for three seconds: a replica on the minority side of a partition fails
// closed within that bound, not the server's. The heartbeat goes to three buckets at once and one
// acknowledgement is enough: each bucket is a stream with its own leader, so losing the node that leads one
// (an election of several seconds) does not stop the others confirming — only losing the majority does.

import type { Logger } from '../logger.js';
import { type KvStore, StoreError } from './kv.js';

export interface QuorumWatch {
  /** Whether a heartbeat write was acknowledged within the window. */
  confirmed(): boolean;
  /** Throws store_unavailable unless confirmed: the read gate of the KV port. */
  assertConfirmed(what: string): void;
  /** Why not confirmed (for /ready), or undefined. */
  problem(): string | undefined;
  /** Resolves after the first heartbeat attempt, acknowledged or not. */
  readonly first: Promise<void>;
  stop(): void;
}

export interface QuorumWatchOptions {
  /** Core's KV store (bucket `core_quorum`), with a call bound shorter than the window. */
  kv: KvStore;
  /** This replica's key in the bucket (unique per process). */
  holder: string;
  log: Logger;
  everyMs?: number;
  windowMs?: number;
  /** Buckets written each beat (default 3): one acknowledgement confirms. */
  lanes?: number;
  clock?: () => number;
}

export const QUORUM_BEAT_MS = 500;
export const QUORUM_WINDOW_MS = 3000;

/**
 * Starts the heartbeat. Every `everyMs` (never two at once) it writes `{ at }` under `holder` in
 * `core_quorum0`…`core_quorum2`, whose entries lapse after a minute so stopped replicas leave nothing behind.
 *
 * @example
 *   const quorum = watchQuorum({ kv: createJetStreamKv({ kvm, module: 'core', replicas: 3, timeoutMs: 1500 }), holder, log });
 *   await quorum.first;
 */
export function watchQuorum(options: QuorumWatchOptions): QuorumWatch {
  const clock = options.clock ?? Date.now;
  const everyMs = options.everyMs ?? QUORUM_BEAT_MS;
  const windowMs = options.windowMs ?? QUORUM_WINDOW_MS;
  const lanes = Array.from({ length: options.lanes ?? 3 }, (_, lane) => `quorum${lane}`);
  let lastAck: number | undefined;
  let lastError = 'no heartbeat acknowledged yet';
  let running = false;
  let lost = false;
  const beat = async () => {
    if (running) return;
    running = true;
    try {
      await Promise.any(
        lanes.map(async (lane) => {
          const bucket = await options.kv.bucket(lane, { maxAgeMs: 60_000 });
          await bucket.put(options.holder, { at: clock() });
        }),
      );
      lastAck = clock();
      if (lost) options.log.info('store quorum confirmed again');
      lost = false;
    } catch (failure) {
      // Every lane failed: Promise.any's AggregateError holds their errors.
      const error = failure instanceof AggregateError ? failure.errors[0] : failure;
      lastError = (error as Error).message;
      if (!lost && lastAck !== undefined && clock() - lastAck >= windowMs) {
        lost = true;
        options.log.warn({ err: error }, 'store quorum not confirmed: reads are refused until it is');
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void beat(), everyMs);
  timer.unref();
  const first = beat();
  const confirmed = () => lastAck !== undefined && clock() - lastAck < windowMs;
  const problem = () =>
    confirmed()
      ? undefined
      : `no write to the store was acknowledged for ${windowMs} ms (no quorum?): ${lastError}`;
  return {
    confirmed,
    problem,
    assertConfirmed(what) {
      if (!confirmed()) throw new StoreError('store_unavailable', `${what} refused: ${problem()}`);
    },
    first,
    stop: () => clearInterval(timer),
  };
}
