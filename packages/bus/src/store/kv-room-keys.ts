// Rekeying and reading sealed keys on the KV port. A rekey writes the new epoch's keys under a fresh key set
// before the compare-and-set on the room document that moves the epoch (and drops a removed member in the
// same write): a reader who sees the new epoch always finds its key, and keys written by a rekey that lost
// the race sit under a key set no document names, so they are never read (and are deleted by their writer).

import { type KvBucket, withCasRetry } from '@homeport/core';
import {
  afterFailedWrite,
  markKey,
  memberIn,
  membershipKeyPrefix,
  type RoomDoc,
  readLiveRoom,
  releaseMemberIndex,
  roomKey,
  sealedKeyKey,
} from './kv-room-doc.js';
import { CAS_TRIES, deleteAll, freshId, mapBounded, readDoc, tokens } from './kv-support.js';
import type { RoomRepository, SealedKeyRecord } from './repositories.js';
import {
  checkRekeyKeys,
  epochMoved,
  lowerKey,
  memberMissing,
  normalizeKeys,
  requireCoverage,
  roomMissing,
  sealedKeyRecord,
} from './room-checks.js';

const KEY_FIELDS = ['roomId', 'epoch', 'signPub', 'sealed', 'sealedBy', 'createdAt'] as const;

type RoomKeys = Pick<RoomRepository, 'rekey' | 'getKey' | 'keyEpochs'>;

export function kvRoomKeys(bucket: KvBucket): RoomKeys {
  /** The key set `epoch` was started with, for an epoch the room has reached; undefined past it. */
  const keySetOf = async (roomId: string, doc: RoomDoc, epoch: number): Promise<string | undefined> => {
    if (epoch === doc.room.epoch) return doc.keySet;
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > doc.room.epoch) return undefined;
    const mark = await readDoc<{ keySet: string }>(bucket, markKey(roomId, doc.generation, epoch), [
      'keySet',
    ]);
    return mark?.value.keySet;
  };

  return {
    async rekey(roomId, expectedEpoch, keys, options) {
      const normalized = normalizeKeys(keys);
      checkRekeyKeys(roomId, expectedEpoch, normalized);
      const remove = options.remove === undefined ? undefined : lowerKey(options.remove);
      /** The document this rekey can commit on, or the reason it cannot (in SQLite's order). */
      const admit = async (generation?: string) => {
        const entry = await readLiveRoom(bucket, roomId);
        if (!entry) throw roomMissing(roomId);
        const { room, members } = entry.value;
        if (
          room.epoch !== expectedEpoch ||
          (generation !== undefined && entry.value.generation !== generation)
        )
          throw epochMoved(roomId, expectedEpoch, room.epoch);
        if (remove !== undefined && !memberIn(entry.value, remove)) throw memberMissing(roomId, remove);
        const remaining = members.filter((member) => member.signPub !== remove);
        requireCoverage(
          roomId,
          remaining.map((member) => member.signPub),
          normalized,
        );
        return { entry, remaining };
      };

      const first = await admit();
      const { generation, keySet } = first.entry.value;
      const next = expectedEpoch + 1;
      const nextKeySet = freshId();
      // The epoch being left gets its mark before the document leaves it (same value from every writer:
      // a key set never changes within an epoch), so its keys stay readable once it is past.
      await bucket.put(markKey(roomId, generation, expectedEpoch), { keySet });
      const membershipOf = new Map(first.remaining.map((member) => [member.signPub, member.membership]));
      const written = normalized.map(
        (key) => sealedKeyKey(roomId, generation, membershipOf.get(key.signPub) as string, next, nextKeySet), // covered
      );
      try {
        await mapBounded(normalized, (key, index) =>
          bucket.put(written[index] as string, sealedKeyRecord(roomId, key, options.now)),
        );
        await withCasRetry(async () => {
          const { entry, remaining } = await admit(generation);
          // Coverage held, and memberships only change with the epoch: the keys written above still fit.
          const doc: RoomDoc = {
            ...entry.value,
            room: { ...entry.value.room, epoch: next, epochStartedAt: options.now },
            keySet: nextKeySet,
            members: remaining,
          };
          await bucket.update(roomKey(roomId), doc, entry.revision);
        }, CAS_TRIES);
      } catch (error) {
        // Landed if the document names this key set, or names a later epoch whose mark for `next` does.
        const outcome = await afterFailedWrite(bucket, roomId, async (doc) => {
          if (doc.keySet === nextKeySet) return true;
          if (doc.generation !== generation || doc.room.epoch <= next) return false;
          return (await keySetOf(roomId, doc, next)) === nextKeySet;
        });
        if (outcome !== 'written') {
          // Never committed: this key set is unreadable, and removed.
          if (outcome === 'not-written') await deleteAll(bucket, written);
          throw error;
        }
        // It landed, and only the answer was lost (a timeout after the server applied it).
      }
      if (remove !== undefined) {
        // Already unreadable (no document names the membership); the keys and index key are tidied away.
        const removed = memberIn(first.entry.value, remove)?.membership as string; // admitted above
        await deleteAll(bucket, await bucket.keys(membershipKeyPrefix(roomId, generation, removed)));
        await releaseMemberIndex(bucket, remove, roomId);
      }
      // Nothing but the epoch changes in a room record once created.
      return { ...first.entry.value.room, epoch: next, epochStartedAt: options.now };
    },

    async getKey(roomId, signPub, epoch) {
      const entry = await readLiveRoom(bucket, roomId);
      const member = entry && memberIn(entry.value, lowerKey(signPub));
      if (!entry || !member) return undefined;
      const keySet = await keySetOf(roomId, entry.value, epoch);
      if (keySet === undefined) return undefined;
      const key = await readDoc<SealedKeyRecord>(
        bucket,
        sealedKeyKey(roomId, entry.value.generation, member.membership, epoch, keySet),
        KEY_FIELDS,
      );
      return key?.value;
    },

    async keyEpochs(roomId, signPub) {
      const entry = await readLiveRoom(bucket, roomId);
      const member = entry && memberIn(entry.value, lowerKey(signPub));
      if (!entry || !member) return [];
      // `key.<room>.<generation>.<membership>.<epoch>.<keySet>`: epoch and key set from the name alone.
      const candidates = (
        await bucket.keys(membershipKeyPrefix(roomId, entry.value.generation, member.membership))
      ).map((key) => {
        const parts = tokens(key);
        return { epoch: Number(parts.at(-2)), keySet: parts.at(-1) };
      });
      const committed = await mapBounded(candidates, async ({ epoch, keySet }) =>
        keySet !== undefined && (await keySetOf(roomId, entry.value, epoch)) === keySet ? epoch : undefined,
      );
      return [...new Set(committed.filter((epoch) => epoch !== undefined))].sort((a, b) => a - b);
    },
  };
}
