// Contract of rekeying, key reads and room deletion: a rekey moves the epoch only from the epoch the caller
// read, removes a member in the same write (it never holds the new key), and a deleted room takes its
// members, keys, index entries and blob references with it.

import { describe, expect, it } from 'vitest';
import { BusStoreError, type SealedKeyInput } from '../src/store/repositories.js';
import type { Concurrently, Subject } from './store-contract.js';
import {
  at,
  hexKey,
  memberRecord,
  roomRecord,
  sealedKey,
  settle,
  thrown,
} from './store-contract-fixtures.js';

const owner = hexKey('owner');
const bob = hexKey('bob');
const cat = hexKey('cat');
const dan = hexKey('dan');

/** One key per identity for `epoch`, sealed by the owner, tagged with the rekey that made them. */
const keysFor = (epoch: number, members: readonly string[], tag = 'k'): SealedKeyInput[] =>
  members.map((signPub) => sealedKey(epoch, signPub, owner, tag));

export function rekeyContract({ store, replica }: Subject, concurrently: Concurrently): void {
  /** Room `id` at epoch 1 with the owner, bob and cat, each holding the epoch-1 key. */
  const roomOfThree = async (id = 'alpha') => {
    const room = roomRecord(id, owner);
    await store().rooms.create(room, [sealedKey(1, owner, owner)]);
    await store().rooms.addMember(memberRecord(id, bob, { addedAt: at(1) }), [sealedKey(1, bob, owner)], 1);
    await store().rooms.addMember(memberRecord(id, cat, { addedAt: at(2) }), [sealedKey(1, cat, owner)], 1);
    return room;
  };

  describe('rekeying', () => {
    it('starts the next epoch with a key for every member and keeps the earlier keys', async () => {
      const room = await roomOfThree();
      const updated = await store().rooms.rekey(
        'alpha',
        1,
        keysFor(
          2,
          [owner, bob, cat].map((k) => k.toUpperCase()),
        ),
        {
          now: at(10),
        },
      );
      expect(updated).toEqual({ ...room, epoch: 2, epochStartedAt: at(10) });
      expect(await store().rooms.get('alpha')).toEqual(updated);
      for (const member of [owner, bob, cat]) {
        expect(await store().rooms.keyEpochs('alpha', member)).toEqual([1, 2]);
        expect(await store().rooms.getKey('alpha', member, 2)).toEqual({
          roomId: 'alpha',
          epoch: 2,
          signPub: member,
          sealed: sealedKey(2, member, owner).sealed,
          sealedBy: owner,
          createdAt: at(10),
        });
        expect((await store().rooms.getKey('alpha', member, 1))?.sealed).toBe(
          sealedKey(1, member, owner).sealed,
        );
      }
      const third = await store().rooms.rekey('alpha', 2, keysFor(3, [owner, bob, cat]), { now: at(11) });
      expect(third.epoch).toBe(3);
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([1, 2, 3]);
      expect((await store().rooms.getKey('alpha', bob, 2))?.sealed).toBe(sealedKey(2, bob, owner).sealed);
    });

    it('removes a member in the same write: no membership, no listing, no key for the new epoch', async () => {
      await roomOfThree();
      const updated = await store().rooms.rekey('alpha', 1, keysFor(2, [owner, cat]), {
        remove: bob.toUpperCase(),
        now: at(10),
      });
      expect(updated.epoch).toBe(2);
      expect(await store().rooms.getMember('alpha', bob)).toBeUndefined();
      expect((await store().rooms.listMembers('alpha')).map((m) => m.signPub)).toEqual([owner, cat]);
      expect(await store().rooms.listForMember(bob)).toEqual([]);
      expect(await store().rooms.getKey('alpha', bob, 2)).toBeUndefined();
      // A removed member holds no key at all.
      expect(await store().rooms.getKey('alpha', bob, 1)).toBeUndefined();
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([]);
      expect(await store().rooms.keyEpochs('alpha', cat)).toEqual([1, 2]);
      expect((await store().rooms.listForMember(cat)).map((entry) => entry.room.epoch)).toEqual([2]);
    });

    it('gives a member added again only the keys given with the new membership', async () => {
      await roomOfThree();
      await store().rooms.rekey('alpha', 1, keysFor(2, [owner, cat]), { remove: bob, now: at(10) });
      await store().rooms.addMember(
        memberRecord('alpha', bob, { joinedEpoch: 2, addedAt: at(11) }),
        [sealedKey(2, bob, owner, 'back')],
        2,
      );
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([2]);
      expect(await store().rooms.getKey('alpha', bob, 1)).toBeUndefined();
      expect((await store().rooms.getKey('alpha', bob, 2))?.sealed).toBe(
        sealedKey(2, bob, owner, 'back').sealed,
      );
      expect(await store().rooms.listForMember(bob)).toHaveLength(1);
    });

    it('rekeys a room without encryption with no keys', async () => {
      const room = roomRecord('plain', owner, {
        policy: { encrypted: false, persisted: false, signed: false },
      });
      await store().rooms.create(room, []);
      await store().rooms.addMember(memberRecord('plain', bob), [], 1);
      expect(await store().rooms.rekey('plain', 1, [], { remove: bob, now: at(3) })).toMatchObject({
        epoch: 2,
      });
      expect(await store().rooms.listForMember(bob)).toEqual([]);
    });

    it('refuses a rekey from an epoch the room has left, and changes nothing', async () => {
      await roomOfThree();
      await store().rooms.rekey('alpha', 1, keysFor(2, [owner, bob, cat]), { now: at(10) });
      const error = await thrown(
        store().rooms.rekey('alpha', 1, keysFor(2, [owner, cat], 'stale'), { remove: bob, now: at(11) }),
      );
      expect(error).toBeInstanceOf(BusStoreError);
      expect(error).toMatchObject({ code: 'bus_epoch_conflict' });
      expect(await store().rooms.get('alpha')).toMatchObject({ epoch: 2, epochStartedAt: at(10) });
      expect(await store().rooms.getMember('alpha', bob)).toBeDefined();
      expect((await store().rooms.getKey('alpha', cat, 2))?.sealed).toBe(sealedKey(2, cat, owner).sealed);
    });

    it('refuses a rekey of a room that is not there, or removing one who is not a member', async () => {
      expect(
        await thrown(store().rooms.rekey('nothing', 1, keysFor(2, [owner]), { now: at(1) })),
      ).toMatchObject({
        code: 'bus_not_found',
      });
      await roomOfThree();
      const error = await thrown(
        store().rooms.rekey('alpha', 1, keysFor(2, [owner, bob, cat]), { remove: dan, now: at(1) }),
      );
      expect(error).toMatchObject({ code: 'bus_not_found' });
      expect(await store().rooms.get('alpha')).toMatchObject({ epoch: 1 });
      expect(await store().rooms.keyEpochs('alpha', owner)).toEqual([1]);
    });

    it('refuses keys that do not name exactly the remaining members (bus_epoch_conflict), changing nothing', async () => {
      await roomOfThree();
      const attempts: [SealedKeyInput[], string | undefined][] = [
        [keysFor(2, [owner, bob]), undefined], // cat missing: added after the caller read the room
        [keysFor(2, [owner, bob, cat, dan]), undefined], // dan is not a member
        [keysFor(2, [owner, bob, cat]), bob], // the removed member given the new key
        [keysFor(2, [owner, cat, dan]), bob],
      ];
      for (const [keys, remove] of attempts) {
        const error = await thrown(
          store().rooms.rekey('alpha', 1, keys, { ...(remove === undefined ? {} : { remove }), now: at(1) }),
        );
        expect(error).toMatchObject({ code: 'bus_epoch_conflict' });
      }
      expect(await store().rooms.get('alpha')).toMatchObject({ epoch: 1 });
      expect(await store().rooms.getMember('alpha', bob)).toBeDefined();
      for (const member of [owner, bob, cat])
        expect(await store().rooms.keyEpochs('alpha', member)).toEqual([1]);
    });

    it('answers no key for an epoch the room has not reached or a member it does not have', async () => {
      await roomOfThree();
      expect(await store().rooms.getKey('alpha', bob, 2)).toBeUndefined();
      expect(await store().rooms.getKey('alpha', bob, 0)).toBeUndefined();
      expect(await store().rooms.getKey('alpha', dan, 1)).toBeUndefined();
      expect(await store().rooms.keyEpochs('alpha', dan)).toEqual([]);
    });

    concurrently(() => {
      it('lets exactly one of two concurrent rekeys from one epoch win, and keeps only the winner’s keys', async () => {
        await roomOfThree();
        const other = await replica();
        const { fulfilled, rejected } = await settle([
          store().rooms.rekey('alpha', 1, keysFor(2, [owner, bob, cat], 'one'), { now: at(10) }),
          other.rooms.rekey('alpha', 1, keysFor(2, [owner, cat], 'two'), { remove: bob, now: at(11) }),
        ]);
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]).toMatchObject({ code: 'bus_epoch_conflict' });
        const winner = fulfilled[0]?.epochStartedAt === at(10) ? 'one' : 'two';
        expect(await store().rooms.get('alpha')).toMatchObject({ epoch: 2 });
        const members = winner === 'one' ? [owner, bob, cat] : [owner, cat];
        expect((await store().rooms.listMembers('alpha')).map((m) => m.signPub)).toEqual(members);
        for (const member of members) {
          expect((await store().rooms.getKey('alpha', member, 2))?.sealed).toBe(
            sealedKey(2, member, owner, winner).sealed,
          );
          expect(await store().rooms.keyEpochs('alpha', member)).toEqual([1, 2]);
        }
        if (winner === 'two') expect(await store().rooms.listForMember(bob)).toEqual([]);
      });

      it('never leaves a member added during a rekey without the new epoch’s key', async () => {
        for (let round = 0; round < 6; round++) {
          const id = `race${round}`;
          await store().rooms.create(roomRecord(id, owner), [sealedKey(1, owner, owner)]);
          const other = await replica();
          const { fulfilled } = await settle<unknown>([
            store().rooms.rekey(id, 1, keysFor(2, [owner]), { now: at(10) }),
            other.rooms.addMember(memberRecord(id, bob), [sealedKey(1, bob, owner)], 1),
          ]);
          // Whichever came first, the other saw the room move and refused: one of them, never both.
          expect(fulfilled).toHaveLength(1);
          const room = await store().rooms.get(id);
          for (const member of await store().rooms.listMembers(id))
            expect(await store().rooms.getKey(id, member.signPub, room?.epoch ?? 0)).toBeDefined();
        }
      });

      it('reports one of two concurrent deletions of a room as the one that deleted it', async () => {
        await roomOfThree();
        const other = await replica();
        const results = await Promise.all([store().rooms.delete('alpha'), other.rooms.delete('alpha')]);
        expect(results.sort()).toEqual([false, true]);
        expect(await store().rooms.get('alpha')).toBeUndefined();
      });
    });
  });

  describe('deleting a room', () => {
    it('takes its members, keys, listings and blob references with it, once', async () => {
      await roomOfThree();
      await store().rooms.rekey('alpha', 1, keysFor(2, [owner, bob, cat]), { now: at(10) });
      await store().blobs.add('alpha', 'hash-a', 10, at(11));
      await roomOfThree('beta');
      await store().blobs.add('beta', 'hash-b', 10, at(11));

      expect(await store().rooms.delete('alpha')).toBe(true);
      expect(await store().rooms.get('alpha')).toBeUndefined();
      expect(await store().rooms.listMembers('alpha')).toEqual([]);
      expect(await store().rooms.getMember('alpha', bob)).toBeUndefined();
      expect(await store().rooms.getKey('alpha', bob, 2)).toBeUndefined();
      expect(await store().rooms.keyEpochs('alpha', owner)).toEqual([]);
      expect((await store().rooms.listForMember(bob)).map((entry) => entry.room.id)).toEqual(['beta']);
      expect(await store().blobs.has('alpha', 'hash-a')).toBe(false);
      expect(await store().blobs.unreferenced(['hash-a', 'hash-b'])).toEqual(['hash-a']);
      expect(await store().rooms.delete('alpha')).toBe(false);
      expect(await store().rooms.keyEpochs('beta', bob)).toEqual([1]);
    });

    it('lets the id be used again for a room that has nothing of the old one', async () => {
      await roomOfThree();
      await store().rooms.rekey('alpha', 1, keysFor(2, [owner, bob, cat]), { now: at(10) });
      await store().blobs.add('alpha', 'hash-a', 10, at(11));
      await store().rooms.delete('alpha');

      const again = roomRecord('alpha', cat, { createdAt: at(20) });
      await store().rooms.create(again, [sealedKey(1, cat, cat, 'new')]);
      expect(await store().rooms.get('alpha')).toEqual(again);
      expect(await store().rooms.keyEpochs('alpha', cat)).toEqual([1]);
      expect((await store().rooms.getKey('alpha', cat, 1))?.sealed).toBe(
        sealedKey(1, cat, cat, 'new').sealed,
      );
      expect(await store().rooms.getKey('alpha', cat, 2)).toBeUndefined();
      expect(await store().rooms.listForMember(bob)).toEqual([]);
      expect(await store().rooms.listForMember(cat)).toEqual([{ room: again, role: 'owner' }]);
      expect(await store().blobs.has('alpha', 'hash-a')).toBe(false);
      await store().rooms.addMember(
        memberRecord('alpha', bob, { addedBy: cat }),
        [sealedKey(1, bob, cat, 'new')],
        1,
      );
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([1]);
    });
  });
}
