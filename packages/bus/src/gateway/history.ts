// A persisted room's history, read from its JetStream stream (`BUSROOM_<id>`) with the bus account's service
// connection: frames by stream sequence, a frame id placed by the stream's store time (monotonic, the
// server's), pages before an id, what came after one, and counts for the room list.
//
// Never by comparing ids: a sender chooses its frames' ids, and 200 frames with id `7ZZZ…` in the middle of
// the history would move every search. An id the gateway showed belongs to a frame it accepted, and it
// accepts a frame only when the id's time is within MAX_FUTURE_MS / MAX_FRAME_AGE_MS of the store time
// (room-reader.ts) — so the frame is looked for among those stored in that window, nearest first.

import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { roomStream } from '../control/data-plane.js';
import { MAX_FUTURE_MS, ulidTime } from '../crypto/index.js';
import { natsCall } from './errors.js';
import { MAX_FRAME_AGE_MS } from './room-reader.js';

/** Reads in flight at once when walking a stretch of the stream. */
const BATCH = 32;
/**
 * Frames looked at for an exact id around its time at most: a bound on what one request costs. A member who
 * floods that window only makes the place an estimate by time (a page may then repeat or skip a message of
 * that second), never move it elsewhere in the history.
 */
const PLACE_SCAN = 512;

export interface StoredFrame {
  seq: number;
  subject: string;
  data: Uint8Array;
  /** When the stream stored it (ms). */
  time: number;
}

export interface StreamPosition {
  first: number;
  last: number;
  /** When the newest frame was stored (ms), or undefined for an empty stream. */
  lastTime: number | undefined;
}

export interface RoomHistory {
  position(roomId: string): Promise<StreamPosition>;
  /**
   * The sequence of the frame `id`, or where it would be (the first frame stored after the id's time); `exact`
   * says which.
   */
  place(roomId: string, id: string): Promise<{ seq: number; exact: boolean }>;
  /**
   * Frames from `from` towards `to` (either direction), given to `take` one by one in that order until it
   * says stop (returns false) or `scanLimit` frames were looked at.
   */
  walk(
    roomId: string,
    from: number,
    to: number,
    scanLimit: number,
    take: (frame: StoredFrame) => Promise<boolean>,
  ): Promise<void>;
}

export function createRoomHistory(jsm: JetStreamManager): RoomHistory {
  const at = async (roomId: string, seq: number): Promise<StoredFrame | undefined> => {
    // Sequences start at 1; an empty stream reports first = last = 0, and JetStream refuses sequence 0.
    if (seq < 1) return undefined;
    const stored: StoredMsg | null = await natsCall('history', () =>
      jsm.streams.getMessage(roomStream(roomId), { seq }),
    );
    if (!stored) return undefined;
    return { seq: stored.seq, subject: stored.subject, data: stored.data, time: stored.time.getTime() };
  };

  const history: RoomHistory = {
    async position(roomId) {
      const info = await natsCall('stream info', () => jsm.streams.info(roomStream(roomId)));
      const { first_seq: first, last_seq: last, last_ts: lastTs, messages } = info.state;
      return { first, last, lastTime: messages > 0 ? Date.parse(lastTs) : undefined };
    },

    async place(roomId, id) {
      const { first, last } = await history.position(roomId);
      const time = ulidTime(id);
      // The first frame stored at or after the id's time (store times never go back along the sequence).
      let lo = first;
      let hi = last + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const frame = await at(roomId, mid);
        // A frame that is gone counts as older: the search still ends.
        if (frame === undefined || frame.time < time) lo = mid + 1;
        else hi = mid;
      }
      const estimate = lo;
      // Then the frame itself: stored after its id's time (the usual case, the sender's clock a little behind
      // the server's or equal) up to MAX_FRAME_AGE_MS, or before it by up to MAX_FUTURE_MS.
      let budget = PLACE_SCAN;
      let found: number | undefined;
      const look = (frame: StoredFrame, inWindow: boolean) => {
        budget -= 1;
        if (!inWindow) return false;
        if (frameId(frame.data) === id) {
          found = frame.seq;
          return false;
        }
        return budget > 0;
      };
      if (estimate <= last)
        await history.walk(roomId, estimate, last, budget, async (frame) =>
          look(frame, frame.time <= time + MAX_FRAME_AGE_MS),
        );
      if (found === undefined && budget > 0 && estimate - 1 >= first)
        await history.walk(roomId, estimate - 1, first, budget, async (frame) =>
          look(frame, frame.time >= time - MAX_FUTURE_MS),
        );
      return found === undefined ? { seq: estimate, exact: false } : { seq: found, exact: true };
    },

    async walk(roomId, from, to, scanLimit, take) {
      const step = from <= to ? 1 : -1;
      let scanned = 0;
      let seq = from;
      while (scanned < scanLimit && (step === 1 ? seq <= to : seq >= to)) {
        const count = Math.min(BATCH, scanLimit - scanned, Math.abs(to - seq) + 1);
        const seqs = Array.from({ length: count }, (_, index) => seq + index * step);
        const frames = await Promise.all(seqs.map((each) => at(roomId, each)));
        for (const frame of frames) {
          scanned += 1;
          if (frame && !(await take(frame))) return;
        }
        seq += count * step;
      }
    },
  };
  return history;
}

/** The id a frame names (unverified: used only to place it in the stream). */
export function frameId(data: Uint8Array): string | undefined {
  return frameField(data, 'id');
}

/** The sender a frame names (unverified: used only to leave the reader's own frames out of an unread count). */
export function frameSender(data: Uint8Array): string | undefined {
  return frameField(data, 'sender');
}

function frameField(data: Uint8Array, field: 'id' | 'sender'): string | undefined {
  try {
    const value = (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // not a frame: it has no place
  }
}
