// Room keys as the gateway holds them: opened from the copy sealed to an account's gateway identity (HPKE, as
// any member's SDK does) and kept in a bounded in-memory cache per room and epoch, so one key serves every
// stream of the room. Whether an account may read an epoch is always what the store says: a key of that
// epoch sealed to its identity. The cache is never the authority.

import { fromBase64Url, openRoomKey } from '../crypto/index.js';
import type { BusStore } from '../store/repositories.js';
import type { GatewayIdentity } from './identities.js';

export interface RoomKeys {
  /** The key of `epoch` if one is sealed to `holder`'s identity and opens with it, else undefined. */
  open(holder: GatewayIdentity, roomId: string, epoch: number): Promise<Uint8Array | undefined>;
  /** A key already opened for another holder; only for callers that checked the viewer's epochs. */
  cached(roomId: string, epoch: number): Uint8Array | undefined;
  /** The epochs whose key is sealed to `signPub` in the room. */
  epochsOf(roomId: string, signPub: string): Promise<Set<number>>;
  /** Drops a deleted room's keys. */
  forgetRoom(roomId: string): void;
}

export function createRoomKeys(store: BusStore, cacheSize = 10_000): RoomKeys {
  const cache = new Map<string, Uint8Array>();
  const name = (roomId: string, epoch: number) => `${roomId}/${epoch}`;
  const remember = (key: string, value: Uint8Array) => {
    cache.delete(key);
    cache.set(key, value);
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next();
      if (oldest.done === true) break;
      cache.delete(oldest.value);
    }
  };

  return {
    async open(holder, roomId, epoch) {
      const sealed = await store.rooms.getKey(roomId, holder.signPub, epoch);
      if (!sealed) return undefined;
      const known = cache.get(name(roomId, epoch));
      if (known) return known;
      const bytes = fromBase64Url(sealed.sealed);
      if (!bytes) return undefined;
      let key: Uint8Array;
      try {
        key = await openRoomKey(holder.identity, bytes, {
          roomId,
          epoch,
          recipientSignPubHex: holder.signPub,
        });
      } catch {
        // Sealed wrongly (a member's SDK may seal anything that has the right length): for this account it is
        // as if no key had come yet; the next rekey by an honest member mends it.
        return undefined;
      }
      remember(name(roomId, epoch), key);
      return key;
    },
    cached: (roomId, epoch) => cache.get(name(roomId, epoch)),
    async epochsOf(roomId, signPub) {
      return new Set(await store.rooms.keyEpochs(roomId, signPub));
    },
    forgetRoom(roomId) {
      for (const key of [...cache.keys()]) if (key.startsWith(`${roomId}/`)) cache.delete(key);
    },
  };
}
