// Blob references on the KV port: `ref.<room>.<generation>.<hash>` records (a room's by prefix, so its
// deletion finds them) mirrored by `blob.<hash>.<room>.<generation>` keys (the rooms of a hash, listed by
// garbage collection). A reference counts only while its room's document names that generation.

import { isConflict, type KvBucket } from '@homeport/core';
import { blobKey, ownedPrefix, type RoomDoc, readLiveRoom, refKey } from './kv-room-doc.js';
import { deleteAll, mapBounded, part, readDoc, tokens } from './kv-support.js';
import type { BlobRefRepository } from './repositories.js';
import { roomMissing } from './room-checks.js';

interface BlobRefDoc {
  hash: string;
  size: number;
  createdAt: string;
}

export function kvBlobRefRepository(bucket: KvBucket): BlobRefRepository {
  return {
    async add(roomId, hash, size, now) {
      const room = await readLiveRoom(bucket, roomId);
      if (!room) throw roomMissing(roomId);
      const { generation } = room.value;
      // The mirror first: a reference is never stored without the key garbage collection looks for.
      await bucket.put(blobKey(hash, roomId, generation), {});
      try {
        await bucket.create<BlobRefDoc>(refKey(roomId, generation, hash), { hash, size, createdAt: now });
      } catch (error) {
        if (!isConflict(error)) throw error; // there already: idempotent
      }
      // The room's deletion may have listed its references before this one was written: take it back.
      if ((await readLiveRoom(bucket, roomId))?.value.generation !== generation) {
        await deleteAll(bucket, [refKey(roomId, generation, hash), blobKey(hash, roomId, generation)]);
        throw roomMissing(roomId);
      }
    },

    async has(roomId, hash) {
      const room = await readLiveRoom(bucket, roomId);
      return (
        room !== undefined && (await bucket.get(refKey(roomId, room.value.generation, hash))) !== undefined
      );
    },

    async usage(roomId) {
      const room = await readLiveRoom(bucket, roomId);
      if (!room) return { count: 0, bytes: 0 };
      // The room's references by prefix, then each one's size (bounded by the per-room count quota).
      const keys = await bucket.keys(`${ownedPrefix(roomId, room.value.generation)}ref.`);
      const sizes = await mapBounded(keys, async (key) => {
        const entry = await readDoc<BlobRefDoc>(bucket, key, ['size']);
        return entry?.value.size ?? 0;
      });
      return { count: sizes.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
    },

    async unreferenced(known) {
      const hashes = [...new Set(known)];
      if (hashes.length === 0) return [];
      // One listing of the mirrors (names only), then a read of each room they name, once.
      const roomsOf = new Map<string, { room: string; generation: string }[]>();
      for (const key of await bucket.keys('blob.')) {
        const [, hash, room, generation] = tokens(key);
        if (hash === undefined || room === undefined || generation === undefined) continue;
        roomsOf.set(hash, [...(roomsOf.get(hash) ?? []), { room, generation }]);
      }
      const rooms = new Map<string, Promise<RoomDoc | undefined>>();
      const liveGeneration = (room: string) => {
        let doc = rooms.get(room);
        if (!doc) {
          doc = readDoc<RoomDoc>(bucket, `room.${room}`, ['generation']).then((entry) =>
            entry?.value.deleting ? undefined : entry?.value,
          );
          rooms.set(room, doc);
        }
        return doc.then((value) => value?.generation);
      };
      const referenced = await mapBounded(hashes, async (hash) => {
        for (const ref of roomsOf.get(part(hash)) ?? [])
          if ((await liveGeneration(ref.room)) === ref.generation) return true;
        return false;
      });
      return hashes.filter((_hash, index) => !referenced[index]);
    },
  };
}
