// Contract of rooms and their members: a room is created with its owner and the owner's keys, members are
// added with their keys all or nothing, and listForMember sees exactly the rooms an identity is in.

import { describe, expect, it } from 'vitest';
import { BusStoreError } from '../src/store/repositories.js';
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

export function roomContract({ store, replica }: Subject, concurrently: Concurrently): void {
  /** A room `id` at epoch 1 owned by `owner`, with the owner's key. */
  const createRoom = async (id: string, overrides: Parameters<typeof roomRecord>[2] = {}) => {
    const room = roomRecord(id, owner, overrides);
    await store().rooms.create(room, [sealedKey(1, owner, owner)]);
    return room;
  };

  describe('rooms', () => {
    it('creates a room at epoch 1 with its owner as a member holding the owner’s key', async () => {
      const room = roomRecord('alpha', owner.toUpperCase());
      await store().rooms.create(room, [sealedKey(1, owner.toUpperCase(), owner.toUpperCase())]);
      const stored = { ...room, ownerSignPub: owner };
      expect(await store().rooms.get('alpha')).toEqual(stored);
      const ownerMember = {
        roomId: 'alpha',
        signPub: owner,
        role: 'owner',
        joinedEpoch: 1,
        addedAt: room.createdAt,
        addedBy: owner,
      };
      expect(await store().rooms.getMember('alpha', owner.toUpperCase())).toEqual(ownerMember);
      expect(await store().rooms.listMembers('alpha')).toEqual([ownerMember]);
      expect(await store().rooms.getKey('alpha', owner, 1)).toEqual({
        roomId: 'alpha',
        epoch: 1,
        signPub: owner,
        sealed: sealedKey(1, owner, owner).sealed,
        sealedBy: owner,
        createdAt: room.createdAt,
      });
      expect(await store().rooms.keyEpochs('alpha', owner)).toEqual([1]);
      expect(await store().rooms.listForMember(owner.toUpperCase())).toEqual([
        { room: stored, role: 'owner' },
      ]);
    });

    it('creates a room without keys (no encryption)', async () => {
      const room = roomRecord('plain', owner, {
        policy: { encrypted: false, persisted: false, signed: false },
      });
      await store().rooms.create(room, []);
      expect(await store().rooms.get('plain')).toEqual(room);
      expect(await store().rooms.keyEpochs('plain', owner)).toEqual([]);
      expect(await store().rooms.listForMember(owner)).toEqual([{ room, role: 'owner' }]);
    });

    it('refuses a taken room id and leaves the room, its owner and its keys as they were', async () => {
      const room = await createRoom('alpha');
      const error = await thrown(
        store().rooms.create(roomRecord('alpha', bob, { name: 'Other' }), [sealedKey(1, bob, bob, 'other')]),
      );
      expect(error).toBeInstanceOf(BusStoreError);
      expect(error).toMatchObject({ code: 'bus_room_exists' });
      expect(await store().rooms.get('alpha')).toEqual(room);
      expect((await store().rooms.listMembers('alpha')).map((m) => m.signPub)).toEqual([owner]);
      expect(await store().rooms.listForMember(bob)).toEqual([]);
      expect(await store().rooms.getKey('alpha', bob, 1)).toBeUndefined();
      expect((await store().rooms.getKey('alpha', owner, 1))?.sealed).toBe(sealedKey(1, owner, owner).sealed);
      // The owner trying again with the same id keeps its one room.
      expect(await thrown(store().rooms.create(room, [sealedKey(1, owner, owner, 'again')]))).toMatchObject({
        code: 'bus_room_exists',
      });
      expect(await store().rooms.listForMember(owner)).toEqual([{ room, role: 'owner' }]);
      expect((await store().rooms.getKey('alpha', owner, 1))?.sealed).toBe(sealedKey(1, owner, owner).sealed);
    });

    it('answers nothing for a room or an identity it does not know', async () => {
      expect(await store().rooms.get('nothing')).toBeUndefined();
      expect(await store().rooms.listForMember(owner)).toEqual([]);
      expect(await store().rooms.getMember('nothing', owner)).toBeUndefined();
      expect(await store().rooms.listMembers('nothing')).toEqual([]);
      expect(await store().rooms.getKey('nothing', owner, 1)).toBeUndefined();
      expect(await store().rooms.keyEpochs('nothing', owner)).toEqual([]);
      expect(await store().rooms.delete('nothing')).toBe(false);
    });

    it('lists the rooms of an identity oldest first (ties by id), with its role in each, and no others', async () => {
      const late = await createRoom('late', { createdAt: at(5) });
      const b = await createRoom('b2', { createdAt: at(1) });
      const a = await createRoom('a2', { createdAt: at(1) });
      await createRoom('elsewhere', { createdAt: at(2) });
      const other = roomRecord('bobs', bob, { createdAt: at(3) });
      await store().rooms.create(other, [sealedKey(1, bob, bob)]);
      for (const id of ['late', 'b2', 'a2'])
        await store().rooms.addMember(memberRecord(id, cat), [sealedKey(1, cat, owner)], 1);
      await store().rooms.addMember(memberRecord('bobs', cat, { addedBy: bob }), [sealedKey(1, cat, bob)], 1);
      expect(await store().rooms.listForMember(cat)).toEqual([
        { room: a, role: 'member' },
        { room: b, role: 'member' },
        { room: other, role: 'member' },
        { room: late, role: 'member' },
      ]);
      expect((await store().rooms.listForMember(bob)).map((entry) => [entry.room.id, entry.role])).toEqual([
        ['bobs', 'owner'],
      ]);
    });

    it('adds a member with its keys for the current epoch and earlier ones, listed by addedAt then key', async () => {
      await createRoom('alpha');
      await store().rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { now: at(1) });
      const member = memberRecord('alpha', bob.toUpperCase(), {
        joinedEpoch: 2,
        addedAt: at(3),
        addedBy: owner.toUpperCase(),
      });
      await store().rooms.addMember(
        member,
        [
          sealedKey(1, bob.toUpperCase(), owner.toUpperCase()),
          sealedKey(2, bob.toUpperCase(), owner.toUpperCase()),
        ],
        2,
      );
      const stored = { ...member, signPub: bob, addedBy: owner };
      expect(await store().rooms.getMember('alpha', bob)).toEqual(stored);
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([1, 2]);
      expect(await store().rooms.getKey('alpha', bob, 1)).toEqual({
        roomId: 'alpha',
        epoch: 1,
        signPub: bob,
        sealed: sealedKey(1, bob, owner).sealed,
        sealedBy: owner,
        createdAt: at(3),
      });
      expect((await store().rooms.getKey('alpha', bob, 2))?.sealed).toBe(sealedKey(2, bob, owner).sealed);
      expect(await store().rooms.getKey('alpha', bob, 3)).toBeUndefined();
      // Same addedAt as bob: the key decides.
      await store().rooms.addMember(
        memberRecord('alpha', cat, { joinedEpoch: 2, addedAt: at(3) }),
        [sealedKey(2, cat, owner)],
        2,
      );
      expect(await store().rooms.keyEpochs('alpha', cat)).toEqual([2]);
      expect((await store().rooms.listMembers('alpha')).map((m) => m.signPub)).toEqual([
        owner,
        ...[bob, cat].sort(),
      ]);
    });

    it('refuses to add to a room that is not there, a member twice, or at an epoch the room has left', async () => {
      expect(
        await thrown(store().rooms.addMember(memberRecord('nothing', bob), [sealedKey(1, bob, owner)], 1)),
      ).toMatchObject({ code: 'bus_not_found' });
      expect(await store().rooms.listForMember(bob)).toEqual([]);

      await createRoom('alpha');
      const again = await thrown(
        store().rooms.addMember(
          memberRecord('alpha', owner.toUpperCase()),
          [sealedKey(1, owner, owner, 'again')],
          1,
        ),
      );
      expect(again).toBeInstanceOf(BusStoreError);
      expect(again).toMatchObject({ code: 'bus_member_exists' });
      expect(await store().rooms.getMember('alpha', owner)).toMatchObject({ role: 'owner' });
      expect((await store().rooms.getKey('alpha', owner, 1))?.sealed).toBe(sealedKey(1, owner, owner).sealed);

      await store().rooms.rekey('alpha', 1, [sealedKey(2, owner, owner)], { now: at(1) });
      const stale = await thrown(
        store().rooms.addMember(memberRecord('alpha', bob), [sealedKey(1, bob, owner)], 1),
      );
      expect(stale).toMatchObject({ code: 'bus_epoch_conflict' });
      expect(await store().rooms.getMember('alpha', bob)).toBeUndefined();
      expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([]);
      expect(await store().rooms.listForMember(bob)).toEqual([]);
    });

    concurrently(() => {
      it('adds two different members at once, from two replicas', async () => {
        await createRoom('alpha');
        const other = await replica();
        await Promise.all([
          store().rooms.addMember(memberRecord('alpha', bob), [sealedKey(1, bob, owner)], 1),
          other.rooms.addMember(memberRecord('alpha', cat), [sealedKey(1, cat, owner)], 1),
        ]);
        expect((await store().rooms.listMembers('alpha')).map((m) => m.signPub)).toEqual([
          owner,
          ...[bob, cat].sort(),
        ]);
        expect(await store().rooms.keyEpochs('alpha', bob)).toEqual([1]);
        expect(await store().rooms.keyEpochs('alpha', cat)).toEqual([1]);
      });

      it('adds one of two concurrent adds of one member, with the winner’s keys', async () => {
        await createRoom('alpha');
        const other = await replica();
        const { fulfilled, rejected } = await settle([
          store().rooms.addMember(
            memberRecord('alpha', bob, { addedAt: at(1) }),
            [sealedKey(1, bob, owner, 'one')],
            1,
          ),
          other.rooms.addMember(
            memberRecord('alpha', bob, { addedAt: at(2) }),
            [sealedKey(1, bob, owner, 'two')],
            1,
          ),
        ]);
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0]).toMatchObject({ code: 'bus_member_exists' });
        const member = await store().rooms.getMember('alpha', bob);
        const winner = member?.addedAt === at(1) ? 'one' : 'two';
        expect((await store().rooms.getKey('alpha', bob, 1))?.sealed).toBe(
          sealedKey(1, bob, owner, winner).sealed,
        );
        expect(await store().rooms.listForMember(bob)).toHaveLength(1);
      });

      it('creates one of two rooms created with one id at once', async () => {
        const other = await replica();
        const { fulfilled, rejected } = await settle([
          store().rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]),
          other.rooms.create(roomRecord('alpha', bob), [sealedKey(1, bob, bob)]),
        ]);
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0]).toMatchObject({ code: 'bus_room_exists' });
        const room = await store().rooms.get('alpha');
        const winner = room?.ownerSignPub;
        const loser = winner === owner ? bob : owner;
        expect(await store().rooms.listMembers('alpha')).toHaveLength(1);
        expect(await store().rooms.listForMember(winner ?? '')).toHaveLength(1);
        expect(await store().rooms.listForMember(loser)).toEqual([]);
        expect(await store().rooms.keyEpochs('alpha', winner ?? '')).toEqual([1]);
      });
    });
  });
}
