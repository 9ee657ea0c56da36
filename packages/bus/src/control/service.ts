// The bus control plane: the allowlist, identities owned by accounts, rooms with their members, epochs and
// sealed keys, and the data-plane credentials that follow membership. Every room operation checks that the
// signer is a member (audit H3) before it reads or changes anything; admin operations check an active admin.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessChange, Logger } from '@homeport/core';
import { endpointId } from '../crypto/index.js';
import { BusError } from '../errors.js';
import {
  type BusRole,
  type BusStore,
  BusStoreError,
  type BusUserRecord,
  type HistoryVisibility,
  type MemberRecord,
  type RoomKind,
  type RoomPolicy,
  type RoomRecord,
  type RoomRetention,
  type RotationPolicy,
  type SealedKeyInput,
} from '../store/repositories.js';
import type { BlobService } from './blobs.js';
import type { DataPlane } from './data-plane.js';
import { roomSubject } from './data-plane.js';

export interface BusLimits {
  maxRoomsPerIdentity: number;
  maxMembersPerRoom: number;
  credentialTtlMs: number;
}

export interface BusServiceOptions {
  store: BusStore;
  dataPlane: DataPlane | undefined;
  blobs: BlobService | undefined;
  log: Logger;
  limits: BusLimits;
  /** Cleartext rooms are refused when the control plane or NATS listens beyond loopback. */
  publicExposure: boolean;
  /** Seconds from a revocation's decision until the server confirmed the new revocation list. */
  observeRevocation?: (seconds: number) => void;
  /** Signs room-id reservations (so the creator can seal the first key to the room's id before it exists). */
  reservationSecret: string;
  clock: () => number;
}

export interface CreateRoomInput {
  name: string;
  kind?: RoomKind;
  policy?: Partial<RoomPolicy>;
  history?: HistoryVisibility;
  rotation?: Partial<RotationPolicy>;
  retention?: Partial<RoomRetention>;
  /** The creator's sealed room key for epoch 1; required for an encrypted room. */
  sealedKey?: string;
  /** For an encrypted room: the id reserved with `reserveRoom` (the sealed key is bound to it). */
  roomId?: string;
  reservation?: string;
}

export interface MemberView {
  signPub: string;
  endpointId: string;
  kexPub: string;
  handle: string;
  role: MemberRecord['role'];
  status: BusUserRecord['status'] | 'unknown';
  joinedEpoch: number;
  addedAt: string;
}

export interface RoomView extends RoomRecord {
  myRole: MemberRecord['role'];
  /** Whether the room's age rotation is due (members' SDKs rekey). */
  rekeyDue: boolean;
}

const DEFAULT_RETENTION: RoomRetention = {
  maxMessages: 100_000,
  maxBytes: 256 * 1024 * 1024,
  maxAgeMs: 30 * 24 * 3600 * 1000,
};
const DEFAULT_ROTATION: RotationPolicy = { maxAgeMs: 7 * 24 * 3600 * 1000, maxMessages: 100_000 };

/** base64url of an HPKE `enc` (32 bytes) and the sealed 32-byte key with its tag (48 bytes). */
const SEALED_KEY = /^[A-Za-z0-9_-]{107}$/;

function newRoomId(): string {
  // 100 random bits in lower-case base32: one NATS subject token, safe in stream names.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(20);
  let id = '';
  for (const byte of bytes) id += alphabet[byte & 31];
  return id;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Live NATS credentials one identity may hold. Each one is a revocation-list entry when the identity loses a
 * room, and the whole list travels in the BUS account's JWT, which must fit one NATS message (1 MiB, about
 * 11,000 entries): unbounded, one member asking for credentials at the request rate and then deleting its own
 * room broke every revocation for everyone until the entries aged out. The SDK holds one or two at a time,
 * plus one per room it is invited to while connected.
 */
export const MAX_LIVE_CREDENTIALS = 64;
/** Active identities one account may own (its devices and the gateway's), for the same reason. */
export const MAX_IDENTITIES_PER_ACCOUNT = 16;

/** Store errors with a meaning for the client become bus errors; anything else propagates (503 / 500). */
function mapStoreError(error: unknown): never {
  if (error instanceof BusStoreError) {
    switch (error.code) {
      case 'bus_epoch_conflict':
        throw new BusError('bus_epoch_conflict', 'The room moved to another epoch meanwhile; read it again', {
          cause: error,
        });
      case 'bus_not_found':
        throw new BusError('bus_not_found', error.message, { cause: error });
      default:
        throw new BusError('bus_conflict', error.message, { cause: error });
    }
  }
  throw error;
}

export type BusService = ReturnType<typeof createBusService>;

export function createBusService(options: BusServiceOptions) {
  const { store, log, limits, clock } = options;

  function checkSealed(sealed: unknown, what: string): string {
    if (typeof sealed !== 'string' || !SEALED_KEY.test(sealed))
      throw new BusError('bus_bad_request', `${what} must be a sealed room key (107 base64url characters)`);
    return sealed;
  }

  async function roomFor(
    signPub: string,
    roomId: string,
  ): Promise<{ room: RoomRecord; member: MemberRecord }> {
    const room = await store.rooms.get(roomId);
    const member = room ? await store.rooms.getMember(roomId, signPub) : undefined;
    // A non-member learns nothing, not even whether the room exists (audit H3).
    if (!room || !member) throw new BusError('bus_forbidden', 'You are not a member of this room');
    return { room, member };
  }

  const canManage = (signer: BusUserRecord, member: MemberRecord) =>
    member.role === 'owner' || signer.role === 'admin';

  function rekeyDue(room: RoomRecord): boolean {
    return (
      room.rotation.maxAgeMs !== null && clock() - Date.parse(room.epochStartedAt) > room.rotation.maxAgeMs
    );
  }

  /** Revokes the data-plane users an identity holds now: its live connections close. */
  async function revokeLiveCredentials(signPub: string): Promise<void> {
    const plane = options.dataPlane;
    if (!plane) return;
    const now = clock();
    const live = await store.natsCredentials.listLive(signPub, now);
    if (live.length === 0) return;
    const nowSec = Math.ceil(now / 1000);
    const entries = Object.fromEntries(live.map((credential) => [credential.natsPub, nowSec]));
    const maxTtlSec = Math.ceil(limits.credentialTtlMs / 1000);
    const all = await store.revocations.add(entries, nowSec - maxTtlSec - 60);
    await plane.setRevocations(all);
    options.observeRevocation?.((clock() - now) / 1000);
  }

  async function memberViews(roomId: string): Promise<MemberView[]> {
    const members = await store.rooms.listMembers(roomId);
    return Promise.all(
      members.map(async (member) => {
        const user = await store.users.get(member.signPub);
        return {
          signPub: member.signPub,
          endpointId: endpointId(Buffer.from(member.signPub, 'hex')),
          kexPub: user?.kexPub ?? '',
          handle: user?.handle ?? member.signPub.slice(0, 12),
          role: member.role,
          status: user?.status ?? ('unknown' as const),
          joinedEpoch: member.joinedEpoch,
          addedAt: member.addedAt,
        };
      }),
    );
  }

  async function applyRekey(
    signer: BusUserRecord,
    room: RoomRecord,
    recipients: readonly MemberRecord[],
    input: { epoch: number; sealedKeys: { signPub: string; sealed: string }[] },
    remove: string | undefined,
  ): Promise<RoomRecord> {
    if (input.epoch !== room.epoch)
      throw new BusError(
        'bus_epoch_conflict',
        `The room is at epoch ${room.epoch}, not ${input.epoch}; read it again`,
      );
    const keys: SealedKeyInput[] = [];
    if (room.policy.encrypted) {
      const wanted = new Set(recipients.map((entry) => entry.signPub));
      const given = new Set<string>();
      for (const entry of input.sealedKeys) {
        const signPub = entry.signPub.toLowerCase();
        if (!wanted.has(signPub))
          throw new BusError(
            'bus_unprocessable',
            `${signPub.slice(0, 12)}… is not a remaining member of the room`,
          );
        if (given.has(signPub)) throw new BusError('bus_bad_request', 'A member is given two keys');
        given.add(signPub);
        keys.push({
          epoch: room.epoch + 1,
          signPub,
          sealed: checkSealed(entry.sealed, 'sealedKeys[].sealed'),
          sealedBy: signer.signPub,
        });
      }
      const missing = [...wanted].filter((signPub) => !given.has(signPub));
      if (missing.length > 0)
        throw new BusError('bus_unprocessable', 'Every remaining member needs a key for the new epoch', {
          details: { missing },
        });
    }
    return store.rooms
      .rekey(room.id, room.epoch, keys, { ...(remove === undefined ? {} : { remove }), now: iso(clock()) })
      .catch(mapStoreError);
  }

  const RESERVATION_MS = 10 * 60 * 1000;
  const reservationMac = (roomId: string, signPub: string, expiresSec: number) =>
    createHmac('sha256', options.reservationSecret)
      .update(`homeport-bus/room-reservation/v1\n${roomId}\n${signPub}\n${expiresSec}`)
      .digest('base64url');

  /** The reserved id, when the reservation is this signer's, unexpired and not forged. */
  function reservedId(
    signer: BusUserRecord,
    roomId: string | undefined,
    reservation: string | undefined,
  ): string {
    const [expires, mac] = (reservation ?? '').split('.');
    const expiresSec = Number(expires);
    if (
      roomId === undefined ||
      !/^[a-z2-7]{20}$/.test(roomId) ||
      !Number.isInteger(expiresSec) ||
      mac === undefined
    )
      throw new BusError(
        'bus_bad_request',
        'An encrypted room needs the roomId and reservation from POST /rooms/reserve',
      );
    const wanted = Buffer.from(reservationMac(roomId, signer.signPub, expiresSec));
    const given = Buffer.from(mac);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      throw new BusError('bus_bad_request', 'This room reservation is not valid for you');
    if (expiresSec * 1000 < clock())
      throw new BusError('bus_bad_request', 'This room reservation has expired');
    return roomId;
  }

  return {
    /** A room id for this signer to seal the first key to; valid 10 minutes, used by createRoom. */
    reserveRoom(signer: BusUserRecord): { roomId: string; reservation: string; expiresAt: string } {
      const roomId = newRoomId();
      const expiresSec = Math.floor((clock() + RESERVATION_MS) / 1000);
      return {
        roomId,
        reservation: `${expiresSec}.${reservationMac(roomId, signer.signPub, expiresSec)}`,
        expiresAt: new Date(expiresSec * 1000).toISOString(),
      };
    },

    /** An active identity's public keys, to invite it (any signed identity may look one up). */
    async lookup(signPub: string): Promise<BusUserRecord> {
      const user = await store.users.get(signPub);
      if (user?.status !== 'active') throw new BusError('bus_not_found', 'No active identity with this key');
      return user;
    },

    // --- allowlist (admin) -------------------------------------------------------------------------------

    listUsers: () => store.users.list(),

    async addUser(input: {
      signPub: string;
      kexPub: string;
      handle: string;
      role: BusRole;
      userId: string | null;
    }): Promise<BusUserRecord> {
      if (input.userId !== null) {
        const owned = await store.users.listByAccount(input.userId);
        if (owned.filter((identity) => identity.status === 'active').length >= MAX_IDENTITIES_PER_ACCOUNT)
          throw new BusError(
            'bus_quota',
            `An account may own at most ${MAX_IDENTITIES_PER_ACCOUNT} active bus identities; revoke one first`,
          );
      }
      try {
        return await store.users.add(input, iso(clock()));
      } catch (error) {
        if (error instanceof BusStoreError && error.code === 'bus_user_exists')
          throw new BusError(
            'bus_conflict',
            'This identity is on the allowlist already (unchanged); revoke it and add a new key to replace it',
          );
        throw error;
      }
    },

    async revokeUser(signPub: string): Promise<BusUserRecord> {
      const revoked = await store.users.revoke(signPub, iso(clock()));
      if (!revoked) throw new BusError('bus_not_found', 'No active identity with this key');
      await revokeLiveCredentials(revoked.signPub);
      log.info({ signPub: revoked.signPub }, 'bus identity revoked');
      return revoked;
    },

    /** Ends what an account's identities could do when the account's access narrows. */
    async accessNarrowed(change: AccessChange): Promise<void> {
      // A new password ends the account's API tokens unless it keeps them, and its device identities with
      // them: one registered with a stolen session must not outlive the reset. The gateway's identity is
      // server-held, reached only through a session, and those the new password ended.
      if (change.reason === 'password_reset' && change.keptApiTokens === true) return;
      const gateway =
        change.reason === 'password_reset'
          ? (await store.gatewayIdentities.get(change.userId))?.signPub
          : undefined;
      const owned = await store.users.listByAccount(change.userId);
      for (const identity of owned) {
        if (identity.status !== 'active' || identity.signPub === gateway) continue;
        if (change.reason === 'demoted' && identity.role !== 'admin') continue;
        // A disabled account's identities stay on the allowlist, refused while it is disabled (every signed
        // request checks the owning account: `account_disabled`), so re-enabling it gives back its devices
        // and its rooms. Its live NATS connections close now either way.
        if (change.reason !== 'disabled') await store.users.revoke(identity.signPub, iso(clock()));
        await revokeLiveCredentials(identity.signPub);
      }
    },

    listOwnIdentities: (userId: string) => store.users.listByAccount(userId),

    // --- rooms -------------------------------------------------------------------------------------------

    async createRoom(signer: BusUserRecord, input: CreateRoomInput): Promise<RoomView> {
      const policy: RoomPolicy = {
        encrypted: input.policy?.encrypted ?? true,
        persisted: input.policy?.persisted ?? true,
        signed: input.policy?.signed ?? true,
      };
      if (!policy.encrypted && options.publicExposure)
        throw new BusError(
          'bus_unprocessable',
          'Cleartext rooms are refused while the bus is reachable beyond loopback: anyone holding the subject could read them',
        );
      const owned = (await store.rooms.listForMember(signer.signPub)).filter(
        (entry) => entry.role === 'owner',
      );
      if (owned.length >= limits.maxRoomsPerIdentity)
        throw new BusError('bus_quota', `An identity may own at most ${limits.maxRoomsPerIdentity} rooms`);
      const now = iso(clock());
      const id = policy.encrypted ? reservedId(signer, input.roomId, input.reservation) : newRoomId();
      const room: RoomRecord = {
        id,
        name: input.name,
        kind: input.kind ?? 'chat',
        subject: roomSubject(id),
        policy,
        rotation: { ...DEFAULT_ROTATION, ...input.rotation },
        history: input.history ?? 'shared',
        retention: { ...DEFAULT_RETENTION, ...input.retention },
        ownerSignPub: signer.signPub,
        epoch: 1,
        epochStartedAt: now,
        createdAt: now,
      };
      const keys: SealedKeyInput[] = [];
      if (policy.encrypted)
        keys.push({
          epoch: 1,
          signPub: signer.signPub,
          sealed: checkSealed(input.sealedKey, 'sealedKey'),
          sealedBy: signer.signPub,
        });
      // The stream exists before the room is visible, so the first publish is kept.
      if (policy.persisted) {
        if (!options.dataPlane) throw new BusError('bus_unavailable', 'Persisted rooms need NATS JetStream');
        await options.dataPlane.ensureRoomStream(room);
      }
      await store.rooms.create(room, keys).catch(mapStoreError);
      if (policy.persisted) await options.dataPlane?.ensureMemberConsumer(room, signer.signPub, undefined);
      return { ...room, myRole: 'owner', rekeyDue: false };
    },

    async listRooms(signer: BusUserRecord): Promise<RoomView[]> {
      const rooms = await store.rooms.listForMember(signer.signPub);
      return rooms.map(({ room, role }) => ({ ...room, myRole: role, rekeyDue: rekeyDue(room) }));
    },

    async getRoom(signer: BusUserRecord, roomId: string): Promise<RoomView & { members: MemberView[] }> {
      const { room, member } = await roomFor(signer.signPub, roomId);
      return { ...room, myRole: member.role, rekeyDue: rekeyDue(room), members: await memberViews(roomId) };
    },

    async addMember(
      signer: BusUserRecord,
      roomId: string,
      input: { signPub: string; sealedKeys: { epoch: number; sealed: string }[] },
    ): Promise<MemberView[]> {
      const { room, member } = await roomFor(signer.signPub, roomId);
      if (!canManage(signer, member))
        throw new BusError('bus_forbidden', 'Only the room owner or a bus admin may invite');
      const invitee = await store.users.get(input.signPub);
      if (invitee?.status !== 'active')
        throw new BusError('bus_unprocessable', 'The invitee is not an active identity on the allowlist');
      const members = await store.rooms.listMembers(roomId);
      if (members.length >= limits.maxMembersPerRoom)
        throw new BusError('bus_quota', `A room may have at most ${limits.maxMembersPerRoom} members`);
      const keys: SealedKeyInput[] = [];
      if (room.policy.encrypted) {
        const epochs = new Set<number>();
        for (const entry of input.sealedKeys) {
          if (!Number.isInteger(entry.epoch) || entry.epoch < 1 || entry.epoch > room.epoch)
            throw new BusError('bus_bad_request', `No epoch ${entry.epoch} in this room`);
          if (room.history === 'joined' && entry.epoch !== room.epoch)
            throw new BusError(
              'bus_unprocessable',
              'This room does not show earlier history to new members: seal only the current epoch',
            );
          if (epochs.has(entry.epoch))
            throw new BusError('bus_bad_request', `Epoch ${entry.epoch} given twice`);
          epochs.add(entry.epoch);
          keys.push({
            epoch: entry.epoch,
            signPub: invitee.signPub,
            sealed: checkSealed(entry.sealed, 'sealedKeys[].sealed'),
            sealedBy: signer.signPub,
          });
        }
        if (!epochs.has(room.epoch))
          throw new BusError(
            'bus_unprocessable',
            `The key of the current epoch (${room.epoch}) must be sealed`,
          );
      }
      const now = clock();
      await store.rooms
        .addMember(
          {
            roomId,
            signPub: invitee.signPub,
            role: 'member',
            joinedEpoch: room.epoch,
            addedAt: iso(now),
            addedBy: signer.signPub,
          },
          keys,
          room.epoch,
        )
        .catch(mapStoreError);
      if (room.policy.persisted)
        await options.dataPlane?.ensureMemberConsumer(
          room,
          invitee.signPub,
          room.history === 'joined' ? new Date(now) : undefined,
        );
      options.dataPlane?.notifyMember(invitee.signPub, { type: 'rooms_changed', roomId });
      // The others read the members now: a frame from someone they do not know yet is not a reason for each
      // of them to ask the control plane again (the SDK does so at most once a second per room).
      for (const entry of members)
        options.dataPlane?.notifyMember(entry.signPub, { type: 'members_changed', roomId });
      return memberViews(roomId);
    },

    /**
     * Removes a member and starts the next epoch in one write, with keys sealed to the remaining members by
     * the remover's SDK; the removed member's data-plane users are revoked at once.
     */
    async removeMember(
      signer: BusUserRecord,
      roomId: string,
      target: string,
      input: { epoch: number; sealedKeys: { signPub: string; sealed: string }[] },
    ): Promise<RoomView> {
      const { room, member } = await roomFor(signer.signPub, roomId);
      if (!canManage(signer, member))
        throw new BusError('bus_forbidden', 'Only the room owner or a bus admin may remove members');
      const removed = await store.rooms.getMember(roomId, target);
      if (!removed) throw new BusError('bus_not_found', 'Not a member of this room');
      if (removed.role === 'owner') throw new BusError('bus_unprocessable', 'The owner cannot be removed');
      const remaining = (await store.rooms.listMembers(roomId)).filter(
        (entry) => entry.signPub !== removed.signPub,
      );
      const updated = await applyRekey(signer, room, remaining, input, removed.signPub);
      if (room.policy.persisted) await options.dataPlane?.deleteMemberConsumer(roomId, removed.signPub);
      await revokeLiveCredentials(removed.signPub);
      options.dataPlane?.notifyMember(removed.signPub, { type: 'removed', roomId });
      for (const entry of remaining)
        options.dataPlane?.notifyMember(entry.signPub, { type: 'epoch_changed', roomId });
      return { ...updated, myRole: member.role, rekeyDue: false };
    },

    /** Starts the next epoch; any member may (policy rotation), with a key sealed to every member. */
    async rekey(
      signer: BusUserRecord,
      roomId: string,
      input: { epoch: number; sealedKeys: { signPub: string; sealed: string }[] },
    ): Promise<RoomView> {
      const { room, member } = await roomFor(signer.signPub, roomId);
      const members = await store.rooms.listMembers(roomId);
      const updated = await applyRekey(signer, room, members, input, undefined);
      for (const entry of members)
        if (entry.signPub !== signer.signPub)
          options.dataPlane?.notifyMember(entry.signPub, { type: 'epoch_changed', roomId });
      return { ...updated, myRole: member.role, rekeyDue: false };
    },

    async myKey(signer: BusUserRecord, roomId: string, epoch: number | undefined) {
      const { room } = await roomFor(signer.signPub, roomId);
      if (!room.policy.encrypted) throw new BusError('bus_not_found', 'This room is not encrypted');
      const wanted = epoch ?? room.epoch;
      const key = await store.rooms.getKey(roomId, signer.signPub, wanted);
      if (!key)
        throw new BusError('bus_not_found', `No key of epoch ${wanted} for you (waiting for a rekey?)`);
      return {
        epoch: key.epoch,
        sealed: key.sealed,
        sealedBy: key.sealedBy,
        epochs: await store.rooms.keyEpochs(roomId, signer.signPub),
      };
    },

    async deleteRoom(signer: BusUserRecord, roomId: string): Promise<void> {
      const { room, member } = await roomFor(signer.signPub, roomId);
      if (!canManage(signer, member))
        throw new BusError('bus_forbidden', 'Only the room owner or a bus admin may delete the room');
      const members = await store.rooms.listMembers(roomId);
      await store.rooms.delete(roomId);
      if (room.policy.persisted) await options.dataPlane?.deleteRoomStream(roomId);
      for (const entry of members) await revokeLiveCredentials(entry.signPub);
    },

    // --- blobs -------------------------------------------------------------------------------------------

    async putBlob(signer: BusUserRecord, roomId: string, bytes: Buffer) {
      await roomFor(signer.signPub, roomId);
      if (!options.blobs) throw new BusError('bus_unavailable', 'Blobs need NATS JetStream');
      return options.blobs.put(roomId, bytes, iso(clock()));
    },

    async getBlob(signer: BusUserRecord, roomId: string, hash: string) {
      await roomFor(signer.signPub, roomId);
      if (!options.blobs) throw new BusError('bus_unavailable', 'Blobs need NATS JetStream');
      return options.blobs.get(roomId, hash);
    },

    // --- data plane --------------------------------------------------------------------------------------

    async issueCredential(signer: BusUserRecord, natsPub: string) {
      const plane = options.dataPlane;
      if (!plane)
        throw new BusError('bus_unavailable', 'The bus data plane (managed NATS) is not running here');
      const now = clock();
      if ((await store.natsCredentials.listLive(signer.signPub, now)).length >= MAX_LIVE_CREDENTIALS)
        throw new BusError(
          'bus_quota',
          `An identity may hold at most ${MAX_LIVE_CREDENTIALS} live NATS credentials; they lapse after ${Math.round(limits.credentialTtlMs / 1000)} s`,
        );
      const rooms = (await store.rooms.listForMember(signer.signPub)).map((entry) => entry.room);
      const expiresAt = new Date(now + limits.credentialTtlMs);
      // Issued (and the key checked: never Homeport's own) before it is recorded, and returned only once
      // recorded: a NATS key another identity holds a live credential for is refused (409) — shared, it would
      // be out of reach of the first identity's revocations.
      const issued = await plane.issueMember({ signPub: signer.signPub, natsPub, rooms, expiresAt });
      await store.natsCredentials
        .record({ natsPub, signPub: signer.signPub, issuedAtMs: now, expiresAtMs: expiresAt.getTime() })
        .catch(mapStoreError);
      log.debug({ signPub: signer.signPub, rooms: rooms.length }, 'bus credential issued');
      return {
        jwt: issued.jwt,
        expiresAt: expiresAt.toISOString(),
        servers: plane.servers(),
        // The SDK pins it for the NATS connection; it arrives over the TLS-pinned (or loopback) control plane.
        ...(plane.ca === undefined ? {} : { ca: plane.ca }),
        inboxPrefix: issued.inboxPrefix,
        controlSubject: issued.controlSubject,
        rooms: rooms.map((room) => room.id),
      };
    },

    /** Puts the stored revocation list in force (at start: the server may have been restarted without it). */
    async syncRevocations(): Promise<void> {
      const plane = options.dataPlane;
      if (!plane) return;
      const { revocations } = await store.revocations.get();
      if (Object.keys(revocations).length > 0) await plane.setRevocations(revocations);
    },
  };
}
