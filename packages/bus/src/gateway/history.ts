// A persisted room's history, read from its JetStream stream (`BUSROOM_<id>`) with the bus account's service
// connection: frames by stream sequence, a frame id placed by a binary search over sequences (frame ids are
// ULIDs, ordered by send time), pages before an id, what came after one, and counts for the room list.

import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { roomStream } from '../control/data-plane.js';
import { natsCall } from './errors.js';

/** Reads in flight at once when walking a stretch of the stream. */
const BATCH = 32;
/** How far around a binary search's landing place an exact id is looked for (ids of senders with skewed clocks). */
const NEAR = 16;

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
  /** The sequence of the frame `id`, or where it would be (the first frame with a later id); `exact` says which. */
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
    const stored: StoredMsg | null = await natsCall('history', () =>
      jsm.streams.getMessage(roomStream(roomId), { seq }),
    );
    if (!stored) return undefined;
    return { seq: stored.seq, subject: stored.subject, data: stored.data, time: stored.time.getTime() };
  };

  const idAt = async (roomId: string, seq: number): Promise<string | undefined> => {
    const frame = await at(roomId, seq);
    return frame ? frameId(frame.data) : undefined;
  };

  const history: RoomHistory = {
    async position(roomId) {
      const info = await natsCall('stream info', () => jsm.streams.info(roomStream(roomId)));
      const { first_seq: first, last_seq: last, last_ts: lastTs, messages } = info.state;
      return { first, last, lastTime: messages > 0 ? Date.parse(lastTs) : undefined };
    },

    async place(roomId, id) {
      const { first, last } = await history.position(roomId);
      let lo = first;
      let hi = last + 1;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const found = await idAt(roomId, mid);
        // A frame that is gone or unreadable counts as older: the search still ends.
        if (found === undefined || found < id) lo = mid + 1;
        else hi = mid;
      }
      if (lo <= last && (await idAt(roomId, lo)) === id) return { seq: lo, exact: true };
      for (let seq = Math.max(first, lo - NEAR); seq <= Math.min(last, lo + NEAR); seq++)
        if ((await idAt(roomId, seq)) === id) return { seq, exact: true };
      return { seq: lo, exact: false };
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
