// The room repository on the KV port: one document per room holding the room (and so its epoch), its key
// set and its members, changed only by compare-and-set; what it points to — sealed keys, index keys — is
// written before the compare-and-set that makes it reachable, and cleaned up after the one that makes it not.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import {
  afterFailedWrite,
  ensureMemberIndex,
  finishDeletion,
  markKey,
  memberIn,
  memberIndexKey,
  memberIndexPrefix,
  type RoomDoc,
  readLiveRoom,
  readRoom,
  releaseMemberIndex,
  roomKey,
  type StoredMember,
  sealedKeyKey,
  toMemberRecord,
} from './kv-room-doc.js';
import { kvRoomKeys } from './kv-room-keys.js';
import { CAS_TRIES, compareText, deleteAll, freshId, lastToken, mapBounded, readDoc } from './kv-support.js';
import type { MemberRecord, RoomRecord, RoomRepository, SealedKeyInput } from './repositories.js';
import {
  checkCreate,
  checkMemberKeys,
  epochMoved,
  lowerKey,
  memberExists,
  normalizeKeys,
  normalizeMember,
  normalizeRoom,
  ownerMember,
  roomExists,
  roomMissing,
  sealedKeyRecord,
} from './room-checks.js';

const byAddedAt = (a: MemberRecord, b: MemberRecord) =>
  compareText(a.addedAt, b.addedAt) || compareText(a.signPub, b.signPub);

const byCreation = (a: RoomRecord, b: RoomRecord) =>
  compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id);

/** The key set each epoch of `epochs` was started with: the document's for its epoch, marks for earlier. */
async function keySetsOf(bucket: KvBucket, roomId: string, doc: RoomDoc, epochs: readonly number[]) {
  const sets = new Map<number, string>();
  await mapBounded([...new Set(epochs)], async (epoch) => {
    if (epoch === doc.room.epoch) {
      sets.set(epoch, doc.keySet);
      return;
    }
    const mark = await readDoc<{ keySet: string }>(bucket, markKey(roomId, doc.generation, epoch), [
      'keySet',
    ]);
    // Written before the room left that epoch, so always there for an epoch before the current one.
    if (!mark) throw new Error(`${bucket.name}: room ${roomId} has no mark for its past epoch ${epoch}`);
    sets.set(epoch, mark.value.keySet);
  });
  return sets;
}

export function kvRoomRepository(bucket: KvBucket): RoomRepository {
  /** Writes the sealed keys of one membership (names no other write uses: nothing is overwritten). */
  const writeKeys = async (
    roomId: string,
    doc: RoomDoc,
    membership: string,
    keys: readonly SealedKeyInput[],
    createdAt: string,
  ): Promise<string[]> => {
    const sets = await keySetsOf(
      bucket,
      roomId,
      doc,
      keys.map((key) => key.epoch),
    );
    const names = keys.map(
      (key) => sealedKeyKey(roomId, doc.generation, membership, key.epoch, sets.get(key.epoch) as string), // every epoch looked up
    );
    await mapBounded(keys, (key, index) =>
      bucket.put(names[index] as string, sealedKeyRecord(roomId, key, createdAt)),
    );
    return names;
  };

  return {
    async create(room, ownerKeys) {
      const record = normalizeRoom(room);
      const keys = normalizeKeys(ownerKeys);
      checkCreate(record, keys);
      const owner: StoredMember = { ...toStored(ownerMember(record)), membership: freshId() };
      const doc: RoomDoc = { room: record, generation: freshId(), keySet: freshId(), members: [owner] };
      // Reachable only once the document exists: the owner's index key and keys go first.
      await bucket.put(memberIndexKey(record.ownerSignPub, record.id), {});
      const written = await writeKeys(record.id, doc, owner.membership, keys, record.createdAt);
      for (let attempt = 1; ; attempt++) {
        try {
          await bucket.create(roomKey(record.id), doc);
          break;
        } catch (error) {
          if (!isConflict(error)) throw error;
          const existing = await readRoom(bucket, record.id);
          if (existing?.value.deleting && attempt < CAS_TRIES) {
            // A deletion not finished (cut short, or under way): finished here, then the id is free.
            await finishDeletion(bucket, record.id, existing);
            continue;
          }
          if (existing === undefined && attempt < CAS_TRIES) continue; // deleted meanwhile
          await deleteAll(bucket, written);
          await releaseMemberIndex(bucket, record.ownerSignPub, record.id);
          throw roomExists(record.id);
        }
      }
      await ensureMemberIndex(bucket, record.ownerSignPub, record.id);
    },

    async get(roomId) {
      return (await readLiveRoom(bucket, roomId))?.value.room;
    },

    async listForMember(signPub) {
      const key = lowerKey(signPub);
      // The member's index only, never every room; an index key left by an interrupted removal is skipped.
      const indexKeys = await bucket.keys(memberIndexPrefix(key));
      const found = await mapBounded(indexKeys, async (indexKey) => {
        const doc = await readDoc<RoomDoc>(bucket, `room.${lastToken(indexKey)}`, ['room', 'members']);
        const member = doc && !doc.value.deleting ? memberIn(doc.value, key) : undefined;
        return member && doc ? { room: doc.value.room, role: member.role } : undefined;
      });
      return found.filter((entry) => entry !== undefined).sort((a, b) => byCreation(a.room, b.room));
    },

    async addMember(member, keys, expectedEpoch) {
      const record = normalizeMember(member);
      const normalized = normalizeKeys(keys);
      checkMemberKeys(record, normalized, expectedEpoch);
      const { roomId, signPub } = record;
      /** The document `record` can be added to, or the reason it cannot. */
      const admit = async () => {
        const entry = await readLiveRoom(bucket, roomId);
        if (!entry) throw roomMissing(roomId);
        if (memberIn(entry.value, signPub)) throw memberExists(roomId, signPub);
        if (entry.value.room.epoch !== expectedEpoch)
          throw epochMoved(roomId, expectedEpoch, entry.value.room.epoch);
        return entry;
      };
      const first = await admit();
      const { generation } = first.value;
      const stored: StoredMember = { ...toStored(record), membership: freshId() };
      await bucket.put(memberIndexKey(signPub, roomId), {});
      let written: string[] = [];
      try {
        written = await writeKeys(roomId, first.value, stored.membership, normalized, record.addedAt);
        await withCasRetry(async () => {
          const current = await admit();
          // The room was deleted and created again since: the caller's epoch was the old room's.
          if (current.value.generation !== generation)
            throw epochMoved(roomId, expectedEpoch, current.value.room.epoch);
          const next: RoomDoc = { ...current.value, members: [...current.value.members, stored] };
          await bucket.update(roomKey(roomId), next, current.revision);
        }, CAS_TRIES);
      } catch (error) {
        // (A membership that landed and was removed since is unreadable too: deleting its keys is harmless.)
        const outcome = await afterFailedWrite(
          bucket,
          roomId,
          (doc) => memberIn(doc, signPub)?.membership === stored.membership,
        );
        if (outcome !== 'written') {
          if (outcome === 'not-written') {
            // This membership was never committed: its keys are unreadable, and go.
            await deleteAll(bucket, written);
            await releaseMemberIndex(bucket, signPub, roomId);
          }
          throw error;
        }
        // It landed, and only the answer was lost (a timeout after the server applied it): done.
      }
      await ensureMemberIndex(bucket, signPub, roomId);
    },

    async getMember(roomId, signPub) {
      const entry = await readLiveRoom(bucket, roomId);
      const member = entry && memberIn(entry.value, lowerKey(signPub));
      return member && toMemberRecord(roomId, member);
    },

    async listMembers(roomId) {
      const entry = await readLiveRoom(bucket, roomId);
      return (entry?.value.members ?? []).map((member) => toMemberRecord(roomId, member)).sort(byAddedAt);
    },

    ...kvRoomKeys(bucket),

    async delete(roomId) {
      const marked = await withCasRetry(async () => {
        const entry = await readRoom(bucket, roomId);
        if (entry === undefined) return undefined;
        if (entry.value.deleting) return { entry, mine: false };
        const deleting: RoomDoc = { ...entry.value, deleting: true };
        const revision = await bucket.update(roomKey(roomId), deleting, entry.revision);
        return { entry: { value: deleting, revision }, mine: true };
      }, CAS_TRIES);
      if (marked === undefined) return false;
      // The room is gone from here on; what it owned follows (or the next delete or create finishes it).
      await finishDeletion(bucket, roomId, marked.entry);
      return marked.mine;
    },
  };
}

const toStored = ({ roomId: _roomId, ...member }: MemberRecord): Omit<StoredMember, 'membership'> => member;
