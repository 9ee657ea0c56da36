// Replay protection for frames: per room, the ids of the last frames that fully verified, in a bounded window,
// and a refusal of ids stamped too far in the future (which would otherwise sit ahead of every real id).
//
// What it cannot catch: an id that has left a full window (more than `windowSize` newer frames in that room
// were accepted since), any id after the guard is made afresh (a restarted process remembers nothing — a
// persisted room's history replays as new to it), and in a room neither signed nor encrypted anyone may mint
// new ids, so there is nothing to replay.

import { ulidTime } from './ulid.js';

/** How many frame ids a guard remembers per room by default. */
export const REPLAY_WINDOW = 100_000;
/** How far ahead of the reader's clock a frame id's time may be by default (5 minutes). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;

/** What a guard says of a frame id it has not recorded yet. */
export type ReplayVerdict = 'fresh' | 'replay' | 'from_future';

export interface ReplayGuardOptions {
  /** Ids remembered per room, oldest forgotten first (default {@link REPLAY_WINDOW}). */
  windowSize?: number;
  /** Largest allowed lead of an id's time over `nowMs` (default {@link MAX_FUTURE_MS}). */
  maxFutureMs?: number;
}

/** Seen frame ids per room. `openFrame` checks before decrypting and records only a frame that verified. */
export interface ReplayGuard {
  /** Whether `id` (a ULID) may be accepted in `roomId` at `nowMs`; records nothing. */
  check(roomId: string, id: string, nowMs: number): ReplayVerdict;
  /** Remembers `id` as seen in `roomId`, forgetting the room's oldest id when its window is full. O(1). */
  record(roomId: string, id: string): void;
  /** How many ids the guard holds for `roomId`. */
  size(roomId: string): number;
  /** Drops everything remembered for `roomId` (the member left it). */
  forgetRoom(roomId: string): void;
}

/**
 * A replay guard with a bounded window per room.
 *
 * @example
 *   const replay = createReplayGuard();
 *   const opened = openFrame(bytes, { roomId, replay, nowMs: Date.now(), ... });
 */
export function createReplayGuard(options: ReplayGuardOptions = {}): ReplayGuard {
  const windowSize = options.windowSize ?? REPLAY_WINDOW;
  const maxFutureMs = options.maxFutureMs ?? MAX_FUTURE_MS;
  if (!Number.isSafeInteger(windowSize) || windowSize < 1)
    throw new RangeError(`windowSize must be a positive integer, got ${windowSize}`);
  if (!Number.isFinite(maxFutureMs) || maxFutureMs < 0)
    throw new RangeError(`maxFutureMs must be a non-negative number, got ${maxFutureMs}`);
  // A Set iterates in insertion order, so its first element is the oldest id: eviction is O(1).
  const rooms = new Map<string, Set<string>>();

  return {
    check(roomId, id, nowMs) {
      if (rooms.get(roomId)?.has(id) === true) return 'replay';
      if (ulidTime(id) > nowMs + maxFutureMs) return 'from_future';
      return 'fresh';
    },
    record(roomId, id) {
      let seen = rooms.get(roomId);
      if (seen === undefined) {
        seen = new Set();
        rooms.set(roomId, seen);
      }
      if (seen.has(id)) return;
      if (seen.size >= windowSize) {
        const oldest = seen.values().next();
        if (oldest.done !== true) seen.delete(oldest.value);
      }
      seen.add(id);
    },
    size(roomId) {
      return rooms.get(roomId)?.size ?? 0;
    },
    forgetRoom(roomId) {
      rooms.delete(roomId);
    },
  };
}
