// Messages through the gateway: scrollback (oldest first) from a persisted room's stream or an ephemeral
// room's ring, what a resuming stream missed, sending (sealed with the room's current key and signed with the
// account's identity, published on the room's subject — its echo on the stream carries the same id), and
// read markers.

import { roomSubject } from '../control/data-plane.js';
import { createReplayGuard, isUlid, MAX_PAYLOAD_BYTES, sealFrame } from '../crypto/index.js';
import { BusError } from '../errors.js';
import type { MemberRecord, RoomRecord } from '../store/repositories.js';
import { actingAs, type GatewayContext, membership, viewerKeys } from './context.js';
import { GatewayError, natsCall } from './errors.js';
import type { GatewayAccount, GatewayIdentity } from './identities.js';
import {
  checkAttachment,
  encodeMessage,
  forViewer,
  type MessageAttachment,
  type OpenedMessage,
  type RoomMessage,
} from './message.js';
import { type RoomHub, ringAfter, ringBefore } from './room-hub.js';
import { openRoomReader } from './room-reader.js';
import type { GatewayRooms } from './rooms.js';

/** Most messages a resumed stream replays; older gaps are left to scrollback. */
export const MAX_REPLAY = 1000;
/**
 * Frames a page looks at beyond four per message asked for: frames the viewer cannot read (junk a member
 * published, control frames, epochs sealed to others) end a page early, and an empty page reads as the start
 * of the history. A bound on what one request costs, not a guarantee: a member who publishes more unreadable
 * frames than this in a row still hides what is older from the browser's scrollback.
 */
const PAGE_SCAN_SLACK = 512;
/** A sender starts a new epoch after this many frames in one (docs/bus-crypto.md: GCM's random-nonce bound). */
const MAX_FRAMES_PER_SENDER_EPOCH = 2 ** 22;

export interface SendInput {
  body: string;
  attachment?: MessageAttachment | undefined;
}

export function createGatewayMessages(ctx: GatewayContext, rooms: GatewayRooms) {
  const { store, keys, history, markers, hubs, metrics } = ctx;
  /** Frames each account sealed per room and epoch on this replica (the sender's share of the nonce bound). */
  const sentInEpoch = new Map<string, number>();

  /** Frames of a persisted room from `from` towards `to`, opened for the viewer, at most `limit` of them. */
  async function readStream(
    viewer: GatewayIdentity,
    room: RoomRecord,
    member: MemberRecord,
    from: number,
    to: number,
    limit: number,
  ): Promise<OpenedMessage[]> {
    // The hub's reader when this replica follows the room: its members are read already.
    const reader =
      hubs.find(room.id)?.reader ??
      (await openRoomReader({ store, handles: ctx.handles, clock: ctx.clock }, room.id));
    if (!reader) return [];
    const epochs = await keys.epochsOf(room.id, viewer.signPub);
    const keyOf = viewerKeys(ctx, viewer, room.id, epochs);
    const replay = createReplayGuard();
    // A member of a room that does not share history reads nothing stored before it joined.
    const joinedAt = room.history === 'joined' ? Date.parse(member.addedAt) : 0;
    const found: OpenedMessage[] = [];
    await history.walk(room.id, from, to, limit * 4 + PAGE_SCAN_SLACK, async (frame) => {
      if (!frame.subject.endsWith('.msg')) return true;
      if (frame.time < joinedAt) return from < to;
      const result = await reader.open(frame.data, replay, keyOf, frame.time);
      if (result.ok) found.push(result.message);
      // An epoch sealed to others only is not a failure, just not this member's to read.
      else if (!(result.reason === 'no_key' && room.policy.encrypted))
        metrics.decryptFailures.inc({ reason: result.reason });
      return found.length < limit;
    });
    return found;
  }

  /** An ephemeral room's ring as the viewer may read it. */
  async function fromRing(viewer: GatewayIdentity, room: RoomRecord): Promise<OpenedMessage[]> {
    const ring = hubs.find(room.id)?.ring() ?? [];
    if (!room.policy.encrypted) return [...ring];
    const epochs = await keys.epochsOf(room.id, viewer.signPub);
    return ring.filter((message) => epochs.has(message.epoch));
  }

  return {
    async list(
      account: GatewayAccount,
      roomId: string,
      query: { before?: string | undefined; limit: number },
    ): Promise<RoomMessage[]> {
      const { viewer } = await actingAs(ctx, account);
      const { room, member } = await membership(ctx, viewer, roomId);
      const { before, limit } = query;
      if (!room.policy.persisted) {
        const ring = await fromRing(viewer, room);
        const readable = before === undefined ? ring : ringBefore(ring, before);
        return readable.slice(-limit).map((message) => forViewer(message, viewer.endpointId));
      }
      const position = await history.position(roomId);
      if (position.last < position.first) return [];
      const end = before === undefined ? position.last : (await history.place(roomId, before)).seq - 1;
      if (end < position.first) return [];
      const newestFirst = await readStream(viewer, room, member, end, position.first, limit);
      return newestFirst.reverse().map((message) => forViewer(message, viewer.endpointId));
    },

    /** What a stream resuming after `afterId` missed, oldest first. */
    async replay(viewer: GatewayIdentity, hub: RoomHub, afterId: string): Promise<OpenedMessage[]> {
      const room = hub.room;
      if (!room.policy.persisted) {
        return ringAfter(await fromRing(viewer, room), afterId);
      }
      const member = await store.rooms.getMember(room.id, viewer.signPub);
      if (!member) return [];
      const position = await history.position(room.id);
      const placed = await history.place(room.id, afterId);
      const from = placed.exact ? placed.seq + 1 : placed.seq;
      if (from > position.last) return [];
      return readStream(viewer, room, member, from, position.last, MAX_REPLAY);
    },

    async send(account: GatewayAccount, roomId: string, input: SendInput): Promise<{ id: string }> {
      const { viewer } = await actingAs(ctx, account);
      let { room } = await membership(ctx, viewer, roomId);
      let attachment: MessageAttachment | undefined;
      if (input.attachment !== undefined) {
        attachment = checkAttachment(input.attachment);
        if (!attachment)
          throw new GatewayError('gateway_bad_attachment', 'attachment must be what the upload answered');
      }
      const payload = encodeMessage(input.body, attachment);
      if (payload.byteLength > MAX_PAYLOAD_BYTES)
        throw new BusError('bus_too_large', `A message is at most ${MAX_PAYLOAD_BYTES} bytes`);

      const counter = () => `${viewer.signPub}/${roomId}/${room.epoch}`;
      const cap = Math.min(
        room.rotation.maxMessages ?? MAX_FRAMES_PER_SENDER_EPOCH,
        MAX_FRAMES_PER_SENDER_EPOCH,
      );
      const ageDue =
        room.rotation.maxAgeMs !== null &&
        ctx.clock() - Date.parse(room.epochStartedAt) > room.rotation.maxAgeMs;
      if (room.policy.encrypted && (ageDue || (sentInEpoch.get(counter()) ?? 0) >= cap)) {
        await rooms.rotate(account, roomId, undefined);
        room = (await membership(ctx, viewer, roomId)).room;
      }
      const key = room.policy.encrypted ? await keys.open(viewer, roomId, room.epoch) : null;
      if (room.policy.encrypted && !key)
        throw new GatewayError(
          'gateway_waiting_for_key',
          'The room moved to a new key that has not reached you yet; try again shortly',
        );
      const { frame, bytes } = sealFrame({
        roomId,
        epoch: room.epoch,
        sender: viewer.identity,
        roomKey: key ?? null,
        sign: room.policy.signed,
        payload,
      });
      const subject = `${roomSubject(roomId)}.msg`;
      if (room.policy.persisted)
        await natsCall('publish', () => ctx.js.publish(subject, bytes, { msgID: frame.id }));
      else ctx.nc.publish(subject, bytes);
      // Bounded: a counter forgotten early only makes that sender rekey later than 2^22, never past 2^32 in all.
      if (sentInEpoch.size > 100_000) sentInEpoch.clear();
      sentInEpoch.set(counter(), (sentInEpoch.get(counter()) ?? 0) + 1);
      return { id: frame.id };
    },

    async markRead(account: GatewayAccount, roomId: string, upTo: string): Promise<void> {
      const { viewer } = await actingAs(ctx, account);
      const { room } = await membership(ctx, viewer, roomId);
      if (!isUlid(upTo)) throw new BusError('bus_bad_request', 'upTo must be a message id');
      let seq = 0;
      if (room.policy.persisted) {
        const placed = await history.place(roomId, upTo);
        seq = placed.exact ? placed.seq : placed.seq - 1;
      }
      await markers.advance(account.userId, roomId, { upTo, seq });
    },
  };
}

export type GatewayMessages = ReturnType<typeof createGatewayMessages>;
