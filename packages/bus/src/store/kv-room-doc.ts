// The room document of the KV store and the keys around it (the layout is in kv-store.ts): reading it,
// the member index kept in step with it, and finishing a room's deletion.

import type { KvBucket, KvEntry } from '@homeport/core';
import { deleteAll, mapBounded, part, readDoc, tokens } from './kv-support.js';
import type { MemberRecord, MemberRole, RoomRecord } from './repositories.js';

/** A member as the room document holds it: `membership` names the keys sealed to this membership. */
export interface StoredMember {
  signPub: string;
  role: MemberRole;
  joinedEpoch: number;
  addedAt: string;
  addedBy: string;
  /** Fresh at every add, so the keys of an earlier membership (or of an add that lost) are never read. */
  membership: string;
}

export interface RoomDoc {
  room: RoomRecord;
  /** Fresh at every creation of the id: keys left by an earlier room of that id are never read. */
  generation: string;
  /** The key set of `room.epoch` (fresh at every rekey; the ones before are in `epoch.…` marks). */
  keySet: string;
  members: StoredMember[];
  /** Set by `delete` before it removes anything: the room is gone from then on, and the rest follows. */
  deleting?: true;
}

const ROOM_FIELDS = ['room', 'generation', 'keySet', 'members'] as const;

export const roomKey = (roomId: string) => `room.${part(roomId)}`;
export const memberIndexKey = (signPub: string, roomId: string) => `member.${part(signPub)}.${part(roomId)}`;
export const memberIndexPrefix = (signPub: string) => `member.${part(signPub)}.`;
/** Everything a generation of a room owns lists under this prefix (its deletion's clean-up, one listing). */
export const ownedPrefix = (roomId: string, generation: string) => `room.${part(roomId)}.${generation}.`;
const keyPrefix = (roomId: string, generation: string) => `${ownedPrefix(roomId, generation)}key.`;

/** The sealed key of one membership for one epoch, under the key set that epoch was started with. */
export const sealedKeyKey = (
  roomId: string,
  generation: string,
  membership: string,
  epoch: number,
  keySet: string,
) => `${keyPrefix(roomId, generation)}${membership}.${epoch}.${keySet}`;
export const membershipKeyPrefix = (roomId: string, generation: string, membership: string) =>
  `${keyPrefix(roomId, generation)}${membership}.`;
/** `{ keySet }` of an epoch the room has left (written before it leaves it). */
export const markKey = (roomId: string, generation: string, epoch: number) =>
  `${ownedPrefix(roomId, generation)}epoch.${epoch}`;
export const refKey = (roomId: string, generation: string, hash: string) =>
  `${ownedPrefix(roomId, generation)}ref.${part(hash)}`;
export const blobKey = (hash: string, roomId: string, generation: string) =>
  `blob.${part(hash)}.${part(roomId)}.${generation}`;

export const readRoom = (bucket: KvBucket, roomId: string): Promise<KvEntry<RoomDoc> | undefined> =>
  readDoc<RoomDoc>(bucket, roomKey(roomId), ROOM_FIELDS);

/** The room document while the room exists (not being deleted). */
export async function readLiveRoom(bucket: KvBucket, roomId: string): Promise<KvEntry<RoomDoc> | undefined> {
  const entry = await readRoom(bucket, roomId);
  return entry?.value.deleting ? undefined : entry;
}

export const memberIn = (doc: RoomDoc, signPub: string): StoredMember | undefined =>
  doc.members.find((member) => member.signPub === signPub);

export const toMemberRecord = (
  roomId: string,
  { membership: _membership, ...member }: StoredMember,
): MemberRecord => ({
  roomId,
  ...member,
});

/**
 * Whether a compare-and-set on a room document that failed had landed after all (`written`: the answer was
 * lost, e.g. a timeout after the server applied it), surely had not, or cannot be told now (`unknown`: the
 * store does not answer). What a writer wrote beforehand may be deleted only when it surely had not: keys
 * deleted under a write that landed would leave a member, or the whole room, without its key.
 */
export async function afterFailedWrite(
  bucket: KvBucket,
  roomId: string,
  landed: (doc: RoomDoc) => boolean | Promise<boolean>,
): Promise<'written' | 'not-written' | 'unknown'> {
  try {
    const entry = await readRoom(bucket, roomId);
    return entry && (await landed(entry.value)) ? 'written' : 'not-written';
  } catch {
    // The store failing again: the caller rethrows its first error, keeping everything and deciding nothing.
    return 'unknown';
  }
}

/**
 * After a write that made `signPub` a member: its index key is there (written before the write, and
 * again here should a removal's clean-up have deleted it meanwhile).
 */
export async function ensureMemberIndex(bucket: KvBucket, signPub: string, roomId: string): Promise<void> {
  if ((await bucket.get(memberIndexKey(signPub, roomId))) === undefined)
    await bucket.put(memberIndexKey(signPub, roomId), {});
}

/**
 * Drops `signPub`'s index key for a room it is no longer a member of, then puts it back if it is a member
 * again by now (an add that wrote it before committing): an index key is never missing for a member.
 */
export async function releaseMemberIndex(bucket: KvBucket, signPub: string, roomId: string): Promise<void> {
  await bucket.delete(memberIndexKey(signPub, roomId));
  const now = await readLiveRoom(bucket, roomId);
  if (now && memberIn(now.value, signPub)) await bucket.put(memberIndexKey(signPub, roomId), {});
}

/**
 * Removes what a room being deleted owns — its keys, epoch marks, blob references and its members' index
 * keys — then its document. Safe to run twice or concurrently (every key it deletes belongs to this
 * generation, and the document goes only at the revision read), so a deletion cut short is finished by the
 * next `delete` or `create` of the id.
 */
export async function finishDeletion(
  bucket: KvBucket,
  roomId: string,
  entry: KvEntry<RoomDoc>,
): Promise<void> {
  const { generation, members } = entry.value;
  const owned = await bucket.keys(ownedPrefix(roomId, generation));
  // `room.<room>.<gen>.ref.<hash>`: a reference's mirror is named from its key, no read needed.
  const mirrors = owned
    .map(tokens)
    .filter((parts) => parts[3] === 'ref')
    .map((parts) => `blob.${parts[4]}.${part(roomId)}.${generation}`);
  await deleteAll(bucket, [...mirrors, ...owned]);
  await mapBounded(members, (member) => releaseMemberIndex(bucket, member.signPub, roomId));
  try {
    await bucket.delete(roomKey(roomId), entry.revision);
  } catch (error) {
    // Another deletion finished first (or a new room of this id was created after it): nothing left to do.
    if ((await readRoom(bucket, roomId))?.value.generation === generation) throw error;
  }
}
