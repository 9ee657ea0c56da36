// Contract of the revocation list (one document, merged and pruned, no entry lost to a concurrent writer)
// and of blob references (idempotent, tied to a room, listed for garbage collection).

import { describe, expect, it } from 'vitest';
import { BusStoreError } from '../src/store/repositories.js';
import type { Concurrently, Subject } from './store-contract.js';
import { at, hexKey, roomRecord, sealedKey, thrown } from './store-contract-fixtures.js';

export function revocationContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('revocations', () => {
    it('starts empty at revision 0', async () => {
      expect(await store().revocations.get()).toEqual({ revocations: {}, revision: 0 });
    });

    it('merges entries (the later time wins), drops those before the prune time, and returns what it wrote', async () => {
      expect(await store().revocations.add({ UAAA: 100, UBBB: 200 }, 0)).toEqual({ UAAA: 100, UBBB: 200 });
      const first = await store().revocations.get();
      expect(first.revocations).toEqual({ UAAA: 100, UBBB: 200 });
      expect(first.revision).toBeGreaterThan(0);

      expect(await store().revocations.add({ UBBB: 150, UCCC: 300 }, 0)).toEqual({
        UAAA: 100,
        UBBB: 200,
        UCCC: 300,
      });
      expect(await store().revocations.add({ UAAA: 250, UDDD: 50 }, 120)).toEqual({
        UAAA: 250,
        UBBB: 200,
        UCCC: 300,
      });
      const last = await store().revocations.get();
      expect(last.revocations).toEqual({ UAAA: 250, UBBB: 200, UCCC: 300 });
      expect(last.revision).toBeGreaterThan(first.revision);
      expect(await store().revocations.add({}, 201)).toEqual({ UAAA: 250, UCCC: 300 });
      expect((await store().revocations.get()).revocations).toEqual({ UAAA: 250, UCCC: 300 });
    });

    it('writes nothing when an add changes nothing', async () => {
      await store().revocations.add({ UAAA: 100 }, 0);
      const before = await store().revocations.get();
      expect(await store().revocations.add({ UAAA: 90 }, 0)).toEqual({ UAAA: 100 });
      expect(await store().revocations.get()).toEqual(before);
    });

    concurrently(() => {
      it('loses no entry when two replicas add at the same time', async () => {
        const other = await replica();
        const adds = Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? store() : other).revocations.add({ [`U${i}`]: 1_000 + i }, 0),
        );
        await Promise.all(adds);
        expect((await store().revocations.get()).revocations).toEqual(
          Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`U${i}`, 1_000 + i])),
        );
      });
    });
  });
}

const owner = hexKey('owner');

export function blobContract({ store }: Subject): void {
  describe('blob references', () => {
    it('records a reference once, per room, and answers has', async () => {
      await store().rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
      await store().rooms.create(roomRecord('beta', owner), [sealedKey(1, owner, owner)]);
      await store().blobs.add('alpha', 'h1', 10, at(1));
      await store().blobs.add('alpha', 'h1', 10, at(2));
      expect(await store().blobs.has('alpha', 'h1')).toBe(true);
      expect(await store().blobs.has('beta', 'h1')).toBe(false);
      expect(await store().blobs.has('alpha', 'h2')).toBe(false);
      expect(await store().blobs.has('nothing', 'h1')).toBe(false);
    });

    it('sums what each room references: a hash counted once per room, nothing for a room gone', async () => {
      await store().rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
      await store().rooms.create(roomRecord('beta', owner), [sealedKey(1, owner, owner)]);
      expect(await store().blobs.usage('alpha')).toEqual({ count: 0, bytes: 0 });
      await store().blobs.add('alpha', 'h1', 10, at(1));
      await store().blobs.add('alpha', 'h1', 10, at(2));
      await store().blobs.add('alpha', 'h2', 16 * 1024 * 1024, at(2));
      await store().blobs.add('beta', 'h1', 10, at(2));
      expect(await store().blobs.usage('alpha')).toEqual({ count: 2, bytes: 16 * 1024 * 1024 + 10 });
      expect(await store().blobs.usage('beta')).toEqual({ count: 1, bytes: 10 });
      expect(await store().blobs.usage('nothing')).toEqual({ count: 0, bytes: 0 });
      // A room made again under the same id starts from nothing.
      await store().rooms.delete('alpha');
      expect(await store().blobs.usage('alpha')).toEqual({ count: 0, bytes: 0 });
      await store().rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
      expect(await store().blobs.usage('alpha')).toEqual({ count: 0, bytes: 0 });
    });

    it('refuses a reference from a room that does not exist', async () => {
      const error = await thrown(store().blobs.add('nothing', 'h1', 10, at(1)));
      expect(error).toBeInstanceOf(BusStoreError);
      expect(error).toMatchObject({ code: 'bus_not_found' });
      expect(await store().blobs.unreferenced(['h1'])).toEqual(['h1']);
    });

    it('lists the known hashes no room references, in the order given, each once', async () => {
      await store().rooms.create(roomRecord('alpha', owner), [sealedKey(1, owner, owner)]);
      await store().rooms.create(roomRecord('beta', owner), [sealedKey(1, owner, owner)]);
      await store().blobs.add('alpha', 'h1', 10, at(1));
      await store().blobs.add('beta', 'h1', 10, at(1));
      await store().blobs.add('beta', 'h2', 10, at(1));
      expect(await store().blobs.unreferenced([])).toEqual([]);
      expect(await store().blobs.unreferenced(['h3', 'h1', 'h2', 'h3', 'h0'])).toEqual(['h3', 'h0']);
      await store().rooms.delete('beta');
      expect(await store().blobs.unreferenced(['h3', 'h1', 'h2'])).toEqual(['h3', 'h2']);
      await store().rooms.delete('alpha');
      expect(await store().blobs.unreferenced(['h1', 'h2'])).toEqual(['h1', 'h2']);
    });
  });
}
