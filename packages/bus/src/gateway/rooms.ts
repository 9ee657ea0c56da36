// Rooms as the browser sees them through the gateway: the account's identity, its rooms with unread counts,
// creating one (the first key sealed to the account's identity, as the SDK does), a room with its members,
// inviting an account by username (its identity made if needed, the keys it may read sealed to it) and
// removing a member with the next epoch's key sealed to everyone else, in one call to the service.

import type { UserDirectory } from '@homeport/core';
import { newRoomKey, sealRoomKey, toBase64Url } from '../crypto/index.js';
import { BusError } from '../errors.js';
import type { HistoryVisibility, RoomPolicy, RoomRecord } from '../store/repositories.js';
import { actingAs, type GatewayContext, membership } from './context.js';
import { GatewayError } from './errors.js';
import { frameSender } from './history.js';
import type { GatewayAccount, GatewayIdentity } from './identities.js';
import { ringAfter } from './room-hub.js';

/** Unread counts stop here ("99 or more"): a room list must not read a whole backlog. */
export const UNREAD_CAP = 99;
const RETRIES = 3;

export interface GatewayMe {
  signPub: string;
  endpointId: string;
  handle: string;
}

export interface GatewayRoom {
  id: string;
  name: string;
  kind: string;
  policy: RoomPolicy;
  history: HistoryVisibility;
  epoch: number;
  myRole: string;
  unread: number;
  lastMessageAt: string | null;
  createdAt: string;
}

export interface GatewayMember {
  signPub: string;
  handle: string;
  role: string;
  status: string;
}

export interface CreateRoomRequest {
  name: string;
  policy?: Partial<RoomPolicy>;
  history?: HistoryVisibility;
}

export function createGatewayRooms(ctx: GatewayContext, users: UserDirectory) {
  const { service, store, keys, history, markers, hubs } = ctx;

  const memberView = async (member: { signPub: string; handle: string; role: string; status: string }) => ({
    signPub: member.signPub,
    handle: await ctx.handles.ofSignPub(member.signPub, member.handle),
    role: member.role,
    status: member.status,
  });

  /** Unread messages (not the viewer's own) after its read marker, and when the newest one came. */
  async function activity(
    viewer: GatewayIdentity,
    userId: string,
    room: RoomRecord,
  ): Promise<{ unread: number; lastMessageAt: string | null }> {
    const marker = await markers.get(userId, room.id);
    if (!room.policy.persisted) {
      const ring = hubs.find(room.id)?.ring() ?? [];
      const after = (marker === undefined ? ring : ringAfter(ring, marker.upTo)).filter(
        (message) => message.sender !== viewer.endpointId,
      );
      const newest = ring.at(-1);
      return {
        unread: Math.min(after.length, UNREAD_CAP),
        lastMessageAt: newest ? new Date(newest.ts).toISOString() : null,
      };
    }
    const position = await history.position(room.id);
    const lastMessageAt = position.lastTime === undefined ? null : new Date(position.lastTime).toISOString();
    const from = Math.max(position.first, (marker?.seq ?? 0) + 1);
    if (position.lastTime === undefined || from > position.last) return { unread: 0, lastMessageAt };
    if (position.last - from + 1 > UNREAD_CAP) return { unread: UNREAD_CAP, lastMessageAt };
    const member = await store.rooms.getMember(room.id, viewer.signPub);
    const joinedAt = member && room.history === 'joined' ? Date.parse(member.addedAt) : 0;
    let unread = 0;
    await history.walk(room.id, from, position.last, UNREAD_CAP, async (frame) => {
      if (
        frame.subject.endsWith('.msg') &&
        frame.time >= joinedAt &&
        frameSender(frame.data) !== viewer.endpointId
      )
        unread += 1;
      return true;
    });
    return { unread, lastMessageAt };
  }

  const view = async (
    viewer: GatewayIdentity,
    userId: string,
    room: RoomRecord,
    myRole: string,
  ): Promise<GatewayRoom> => ({
    id: room.id,
    name: room.name,
    kind: room.kind,
    policy: room.policy,
    history: room.history,
    epoch: room.epoch,
    myRole,
    ...(await activity(viewer, userId, room)),
    createdAt: room.createdAt,
  });

  /** Seals a fresh key for the next epoch to each remaining member and hands it to the service in one call. */
  async function rotate(account: GatewayAccount, roomId: string, remove: string | undefined): Promise<void> {
    const { signer } = await actingAs(ctx, account);
    for (let attempt = 0; ; attempt++) {
      const room = await service.getRoom(signer, roomId);
      const recipients = room.members.filter((member) => member.signPub !== remove);
      const key = room.policy.encrypted ? newRoomKey() : undefined;
      const sealedKeys = key
        ? await Promise.all(
            recipients.map(async (member) => ({
              signPub: member.signPub,
              sealed: toBase64Url(
                await sealRoomKey(Buffer.from(member.kexPub, 'hex'), key, {
                  roomId,
                  epoch: room.epoch + 1,
                  recipientSignPubHex: member.signPub,
                }),
              ),
            })),
          )
        : [];
      try {
        if (remove === undefined) await service.rekey(signer, roomId, { epoch: room.epoch, sealedKeys });
        else await service.removeMember(signer, roomId, remove, { epoch: room.epoch, sealedKeys });
        return;
      } catch (error) {
        // Someone rekeyed or joined meanwhile: read the room again and seal anew.
        const raced =
          error instanceof BusError &&
          (error.code === 'bus_epoch_conflict' || error.code === 'bus_unprocessable');
        if (!raced || attempt >= RETRIES - 1) throw error;
      }
    }
  }

  return {
    rotate,

    /** The account's identity once it is known to be a member of the room (403 otherwise). */
    async viewer(account: GatewayAccount, roomId: string): Promise<GatewayIdentity> {
      const { viewer } = await actingAs(ctx, account);
      await membership(ctx, viewer, roomId);
      return viewer;
    },

    async me(account: GatewayAccount): Promise<GatewayMe> {
      const { viewer } = await actingAs(ctx, account);
      // The account's own name (handles.ts), not what its identity was registered with.
      return { signPub: viewer.signPub, endpointId: viewer.endpointId, handle: account.username };
    },

    async list(account: GatewayAccount): Promise<GatewayRoom[]> {
      const { viewer, signer } = await actingAs(ctx, account);
      const rooms = await service.listRooms(signer);
      return Promise.all(rooms.map((room) => view(viewer, account.userId, room, room.myRole)));
    },

    async create(account: GatewayAccount, input: CreateRoomRequest): Promise<GatewayRoom> {
      const { viewer, signer } = await actingAs(ctx, account);
      const encrypted = input.policy?.encrypted ?? true;
      const base = {
        name: input.name,
        kind: 'chat' as const,
        ...(input.policy === undefined ? {} : { policy: input.policy }),
        ...(input.history === undefined ? {} : { history: input.history }),
      };
      let created: RoomRecord;
      if (encrypted) {
        // The server assigns ids; the first key is sealed to a reserved one (the sealed key is bound to it).
        const reserved = service.reserveRoom(signer);
        const sealed = await sealRoomKey(viewer.identity.kexPub, newRoomKey(), {
          roomId: reserved.roomId,
          epoch: 1,
          recipientSignPubHex: viewer.signPub,
        });
        created = await service.createRoom(signer, {
          ...base,
          roomId: reserved.roomId,
          reservation: reserved.reservation,
          sealedKey: toBase64Url(sealed),
        });
      } else created = await service.createRoom(signer, base);
      return view(viewer, account.userId, created, 'owner');
    },

    async detail(account: GatewayAccount, roomId: string) {
      const { viewer, signer } = await actingAs(ctx, account);
      await membership(ctx, viewer, roomId);
      const room = await service.getRoom(signer, roomId);
      return {
        ...(await view(viewer, account.userId, room, room.myRole)),
        members: await Promise.all(room.members.map(memberView)),
      };
    },

    async invite(account: GatewayAccount, roomId: string, username: string): Promise<GatewayMember[]> {
      const { viewer, signer } = await actingAs(ctx, account);
      const { member } = await membership(ctx, viewer, roomId);
      // Who may invite is decided before any account is looked up: a member cannot probe usernames.
      if (member.role !== 'owner' && signer.role !== 'admin')
        throw new BusError('bus_forbidden', 'Only the room owner or a bus admin may invite');
      const target = await users.find(username);
      if (target?.status !== 'active')
        throw new GatewayError('gateway_unknown_account', `No active account named “${username}”`);
      const invitee = await ctx.identities.forAccount({ userId: target.id, username: target.username });
      for (let attempt = 0; ; attempt++) {
        const room = (await store.rooms.get(roomId)) ?? (await membership(ctx, viewer, roomId)).room;
        const sealedKeys: { epoch: number; sealed: string }[] = [];
        if (room.policy.encrypted) {
          const held = await keys.epochsOf(roomId, viewer.signPub);
          const epochs = room.history === 'shared' ? [...held].sort((a, b) => a - b) : [room.epoch];
          for (const epoch of epochs) {
            const key = await keys.open(viewer, roomId, epoch);
            if (!key) continue;
            const sealed = await sealRoomKey(invitee.identity.kexPub, key, {
              roomId,
              epoch,
              recipientSignPubHex: invitee.signPub,
            });
            sealedKeys.push({ epoch, sealed: toBase64Url(sealed) });
          }
          if (!sealedKeys.some((entry) => entry.epoch === room.epoch))
            throw new GatewayError(
              'gateway_waiting_for_key',
              'You do not hold this room’s current key yet, so you cannot invite; try again shortly',
            );
        }
        try {
          const members = await service.addMember(signer, roomId, { signPub: invitee.signPub, sealedKeys });
          return Promise.all(members.map(memberView));
        } catch (error) {
          if (!(error instanceof BusError && error.code === 'bus_epoch_conflict') || attempt >= RETRIES - 1)
            throw error;
        }
      }
    },

    async remove(account: GatewayAccount, roomId: string, signPub: string): Promise<void> {
      const { viewer } = await actingAs(ctx, account);
      await membership(ctx, viewer, roomId);
      await rotate(account, roomId, signPub);
    },
  };
}

export type GatewayRooms = ReturnType<typeof createGatewayRooms>;
