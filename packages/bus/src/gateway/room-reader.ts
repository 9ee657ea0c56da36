// Opening a room's frames on the gateway: the room and its members as the store has them now, each frame
// checked as a member's SDK checks it (shape, room, sender known and active, signature, replay, key, AEAD),
// against when the bus took it (the stream's store time, or arrival) — never the id's time, which its sender
// picks: a frame sent again long after, or sealed under an old epoch long after a rekey, is refused. Reading
// the room again on an unknown sender or epoch is rate-limited, so forged frames cannot turn into store reads.

import { endpointId, type FrameRejection, openFrame, type ReplayGuard, ulidTime } from '../crypto/index.js';
import type { BusStore, RoomRecord } from '../store/repositories.js';
import type { Handles } from './handles.js';
import { decodeMessage, type OpenedMessage } from './message.js';

/** How long after a rekey frames of the previous epochs are still taken (senders that had not seen it yet). */
const STALE_EPOCH_GRACE_MS = 60_000;
/**
 * How much older than the time the bus took a frame its id may be (the SDK's bound): clock skew and a publish
 * retried. An older id is a frame sent again. Ids ahead of that time by more than MAX_FUTURE_MS are refused too
 * (openFrame), so an accepted frame's id time is within these bounds of its store time — what placing an id
 * in the stream relies on (history.ts).
 */
export const MAX_FRAME_AGE_MS = 5 * 60_000;
/** The room is read again at most this often because of a frame it could not place. */
const REFRESH_INTERVAL_MS = 1000;

export interface RoomMember {
  signPub: string;
  handle: string;
  active: boolean;
}

export type OpenResult =
  | { ok: true; message: OpenedMessage }
  | { ok: false; reason: FrameRejection | 'stale_epoch' };

export interface RoomReader {
  readonly room: RoomRecord;
  /** By endpoint id. */
  readonly members: ReadonlyMap<string, RoomMember>;
  /** Reads the room and its members again; false when the room is gone. */
  refresh(): Promise<boolean>;
  /**
   * Opens one frame; `keyOf` gives the room key of an epoch, or undefined. `reachedBusAtMs` is when the bus took
   * it: the stream's store time, or arrival for a frame read live; it is also the message's `ts`.
   */
  open(
    data: Uint8Array,
    replay: ReplayGuard,
    keyOf: (epoch: number) => Promise<Uint8Array | undefined>,
    reachedBusAtMs: number,
  ): Promise<OpenResult>;
}

export interface RoomReaderOptions {
  store: BusStore;
  /** Senders are shown by the name of the account owning them (handles.ts). */
  handles: Handles;
  clock: () => number;
}

/** A reader of the room as it is now; undefined when the room does not exist. */
export async function openRoomReader(
  options: RoomReaderOptions,
  roomId: string,
): Promise<RoomReader | undefined> {
  const { store, handles, clock } = options;
  let room: RoomRecord | undefined;
  let members = new Map<string, RoomMember>();
  let lastRefresh = 0;

  const load = async (): Promise<boolean> => {
    lastRefresh = clock();
    const found = await store.rooms.get(roomId);
    if (!found) return false;
    const records = await store.rooms.listMembers(roomId);
    const next = new Map<string, RoomMember>();
    for (const record of records) {
      const user = await store.users.get(record.signPub);
      next.set(endpointId(Buffer.from(record.signPub, 'hex')), {
        signPub: record.signPub,
        handle: user ? await handles.of(user) : record.signPub.slice(0, 12),
        active: user?.status === 'active',
      });
    }
    room = found;
    members = next;
    return true;
  };
  if (!(await load())) return undefined;

  const reader: RoomReader = {
    get room() {
      return room as RoomRecord; // loaded above, never unset after
    },
    get members() {
      return members;
    },
    refresh: load,
    async open(data, replay, keyOf, reachedBusAtMs) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const current = reader.room;
        const epoch = peekEpoch(data);
        const key = current.policy.encrypted && epoch !== undefined ? await keyOf(epoch) : undefined;
        const result = openFrame(data, {
          roomId,
          keyFor: (wanted) => (wanted === epoch ? key : undefined),
          senderSignPub: (id) => {
            const member = members.get(id);
            return member?.active ? Buffer.from(member.signPub, 'hex') : undefined;
          },
          encrypted: current.policy.encrypted,
          signed: current.policy.signed,
          replay,
          // Ids from the future are measured against the bus's time too: an old stored frame is judged as at
          // the time it was stored.
          nowMs: reachedBusAtMs,
        });
        if (result.ok) {
          const frame = result.frame;
          // Its id is older than the bus's time allows: a frame a member kept and sent again.
          if (ulidTime(frame.id) < reachedBusAtMs - MAX_FRAME_AGE_MS) return { ok: false, reason: 'replay' };
          // Reached the bus under an earlier epoch well after the room moved on: whoever sealed it holds an old
          // key (a removed member, in an unsigned room). History from before the rekey still reads.
          if (
            frame.epoch < current.epoch &&
            reachedBusAtMs > Date.parse(current.epochStartedAt) + STALE_EPOCH_GRACE_MS
          )
            return { ok: false, reason: 'stale_epoch' };
          const { body, attachment } = decodeMessage(result.payload);
          return {
            ok: true,
            message: {
              id: frame.id,
              sender: frame.sender,
              handle: members.get(frame.sender)?.handle ?? '',
              epoch: frame.epoch,
              ts: reachedBusAtMs,
              body,
              attachment,
            },
          };
        }
        // An unknown sender or epoch may be a member or a rekey not read yet: read the room once more.
        const placeable = result.reason === 'unknown_sender' || result.reason === 'no_key';
        if (attempt === 0 && placeable && clock() - lastRefresh >= REFRESH_INTERVAL_MS) {
          if (!(await load())) return { ok: false, reason: result.reason };
          continue;
        }
        return { ok: false, reason: result.reason };
      }
      return { ok: false, reason: 'malformed' };
    },
  };
  return reader;
}

/** The epoch a frame names, read before it is verified only to pick the key to try. */
function peekEpoch(data: Uint8Array): number | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as { epoch?: unknown };
    return typeof parsed.epoch === 'number' && Number.isInteger(parsed.epoch) && parsed.epoch > 0
      ? parsed.epoch
      : undefined;
  } catch {
    return undefined; // malformed: openFrame says so
  }
}
