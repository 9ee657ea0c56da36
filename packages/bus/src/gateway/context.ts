// What the gateway's parts share: the store and the service, the account identities and room keys, the
// history reader and read markers, the hubs, the bus connection — and the one membership check every room
// route starts with.

import type { Logger } from '@homeport/core';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BlobService } from '../control/blobs.js';
import type { BusService } from '../control/service.js';
import { BusError } from '../errors.js';
import type { BusStore, BusUserRecord, MemberRecord, RoomRecord } from '../store/repositories.js';
import type { Handles } from './handles.js';
import type { RoomHistory } from './history.js';
import type { GatewayAccount, GatewayIdentities, GatewayIdentity } from './identities.js';
import type { GatewayMetrics } from './metrics.js';
import type { ReadMarkers } from './read-markers.js';
import type { RoomHubs } from './room-hub.js';
import type { RoomKeys } from './room-keys.js';

export interface GatewayContext {
  service: BusService;
  /** For the rooms' blob quota checked before an upload is read (undefined without JetStream). */
  blobs: BlobService | undefined;
  store: BusStore;
  identities: GatewayIdentities;
  /** The names senders and members are shown by. */
  handles: Handles;
  keys: RoomKeys;
  history: RoomHistory;
  markers: ReadMarkers;
  hubs: RoomHubs;
  nc: NatsConnection;
  js: JetStreamClient;
  metrics: GatewayMetrics;
  log: Logger;
  clock: () => number;
}

/** The account's identity and its allowlist entry as it stands now (refused once revoked). */
export async function actingAs(
  ctx: GatewayContext,
  account: GatewayAccount,
): Promise<{ viewer: GatewayIdentity; signer: BusUserRecord }> {
  const viewer = await ctx.identities.forAccount(account);
  return { viewer, signer: await ctx.identities.signer(viewer) };
}

const ROOM_ID = /^[a-z2-7]{20}$/;

/**
 * The room and the viewer's membership, or `bus_forbidden` — for a room that does not exist, a malformed id
 * and someone else's room alike, so a non-member learns nothing (audit H3).
 */
export async function membership(
  ctx: GatewayContext,
  viewer: GatewayIdentity,
  roomId: string,
): Promise<{ room: RoomRecord; member: MemberRecord }> {
  const room = ROOM_ID.test(roomId) ? await ctx.store.rooms.get(roomId) : undefined;
  const member = room ? await ctx.store.rooms.getMember(roomId, viewer.signPub) : undefined;
  if (!room || !member) throw new BusError('bus_forbidden', 'You are not a member of this room');
  return { room, member };
}

/** The key of `epoch` if the viewer holds it (the store says so), from the cache or opened with its identity. */
export function viewerKeys(
  ctx: GatewayContext,
  viewer: GatewayIdentity,
  roomId: string,
  epochs: Set<number>,
) {
  // Per call: one look-up per epoch however many frames of it are read (a key that does not open included).
  const known = new Map<number, Uint8Array | undefined>();
  return async (epoch: number): Promise<Uint8Array | undefined> => {
    if (!epochs.has(epoch)) return undefined;
    if (known.has(epoch)) return known.get(epoch);
    const key = ctx.keys.cached(roomId, epoch) ?? (await ctx.keys.open(viewer, roomId, epoch));
    known.set(epoch, key);
    return key;
  };
}
