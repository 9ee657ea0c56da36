// What both bus stores do to a room write before storing it, so SQLite and KV accept and refuse the same
// inputs: keys lower-cased, caller bugs (a key for another member or epoch) refused loudly, and a rekey whose
// keys do not name exactly the remaining members refused as the conflict the caller re-reads after.

import {
  BusStoreError,
  type MemberRecord,
  type RoomRecord,
  type SealedKeyInput,
  type SealedKeyRecord,
} from './repositories.js';

/** Identities' keys are compared in lower case (repositories.ts). */
export const lowerKey = (hex: string): string => hex.toLowerCase();

export const normalizeRoom = (room: RoomRecord): RoomRecord => ({
  ...room,
  ownerSignPub: lowerKey(room.ownerSignPub),
});

export const normalizeMember = (member: MemberRecord): MemberRecord => ({
  ...member,
  signPub: lowerKey(member.signPub),
  addedBy: lowerKey(member.addedBy),
});

export const normalizeKeys = (keys: readonly SealedKeyInput[]): SealedKeyInput[] =>
  keys.map((key) => ({ ...key, signPub: lowerKey(key.signPub), sealedBy: lowerKey(key.sealedBy) }));

export const sealedKeyRecord = (roomId: string, key: SealedKeyInput, createdAt: string): SealedKeyRecord => ({
  roomId,
  epoch: key.epoch,
  signPub: key.signPub,
  sealed: key.sealed,
  sealedBy: key.sealedBy,
  createdAt,
});

/** The owner's membership, which `create` writes with the room. */
export const ownerMember = (room: RoomRecord): MemberRecord => ({
  roomId: room.id,
  signPub: room.ownerSignPub,
  role: 'owner',
  joinedEpoch: 1,
  addedAt: room.createdAt,
  addedBy: room.ownerSignPub,
});

/** A caller bug, not a state of the store: a 500 to fix, never a code a client could act on. */
const misuse = (message: string): Error => new Error(`bus store misuse: ${message}`);

const requireDistinct = (keys: readonly SealedKeyInput[], what: string): void => {
  const seen = new Set(keys.map((key) => `${key.signPub}/${key.epoch}`));
  if (seen.size !== keys.length) throw misuse(`${what}: one (identity, epoch) is given two keys`);
};

/** `create`: a room starts at epoch 1, and the keys given are the owner's for epoch 1. */
export function checkCreate(room: RoomRecord, keys: readonly SealedKeyInput[]): void {
  if (room.epoch !== 1) throw misuse(`room ${room.id} is created at epoch ${room.epoch}, not 1`);
  for (const key of keys)
    if (key.signPub !== room.ownerSignPub || key.epoch !== 1)
      throw misuse(`room ${room.id}: a key at creation must be the owner's for epoch 1`);
  requireDistinct(keys, `room ${room.id}`);
}

/** `addMember`: keys for the member only, for epochs 1 to the current one. */
export function checkMemberKeys(
  member: MemberRecord,
  keys: readonly SealedKeyInput[],
  expectedEpoch: number,
): void {
  for (const key of keys) {
    if (key.signPub !== member.signPub)
      throw misuse(`room ${member.roomId}: a key given with a new member is for another identity`);
    if (!Number.isInteger(key.epoch) || key.epoch < 1 || key.epoch > expectedEpoch)
      throw misuse(`room ${member.roomId}: a key for epoch ${key.epoch} given at epoch ${expectedEpoch}`);
  }
  requireDistinct(keys, `room ${member.roomId}`);
}

/** `rekey`: every key is for the epoch being started. */
export function checkRekeyKeys(roomId: string, expectedEpoch: number, keys: readonly SealedKeyInput[]): void {
  for (const key of keys)
    if (key.epoch !== expectedEpoch + 1)
      throw misuse(`room ${roomId}: a rekey from epoch ${expectedEpoch} given a key for epoch ${key.epoch}`);
  requireDistinct(keys, `room ${roomId}`);
}

/**
 * The keys of a rekey name exactly the members that remain (checked in the write itself, against the
 * members the write sees): a member added since the caller read the room would otherwise have no key.
 * No keys at all is a room without encryption.
 */
export function requireCoverage(
  roomId: string,
  remaining: readonly string[],
  keys: readonly SealedKeyInput[],
): void {
  if (keys.length === 0) return;
  const wanted = new Set(remaining);
  if (keys.length !== wanted.size || keys.some((key) => !wanted.has(key.signPub)))
    throw new BusStoreError(
      'bus_epoch_conflict',
      `Room ${roomId}: the new keys do not name exactly its remaining members; re-read the room`,
    );
}

export const roomMissing = (roomId: string): BusStoreError =>
  new BusStoreError('bus_not_found', `No room "${roomId}"`);

export const memberMissing = (roomId: string, signPub: string): BusStoreError =>
  new BusStoreError('bus_not_found', `${signPub} is not a member of room "${roomId}"`);

export const memberExists = (roomId: string, signPub: string): BusStoreError =>
  new BusStoreError('bus_member_exists', `${signPub} is a member of room "${roomId}" already`);

export const epochMoved = (roomId: string, expectedEpoch: number, epoch: number): BusStoreError =>
  new BusStoreError(
    'bus_epoch_conflict',
    `Room ${roomId} is at epoch ${epoch}, not ${expectedEpoch}; re-read the room`,
  );

export const roomExists = (roomId: string): BusStoreError =>
  new BusStoreError('bus_room_exists', `A room "${roomId}" exists already`);
