// Contract of ExportRepository: inventory replacement (ids kept by path, removed exports' grants gone,
// mount paths traded), uniqueness, the importer's upsert, space updates, ordering, and concurrency.

import { StoreError } from '@homeport/core';
import { describe, expect, it } from 'vitest';
import type { NasStore, NodeRecord } from '../src/control/store/repositories.js';
import { NasError } from '../src/errors.js';
import type { Concurrently } from './store-contract.js';
import {
  exportInput,
  exportRecord,
  idSequence,
  nodeRecord,
  settle,
  thrown,
} from './store-contract-fixtures.js';

const AT = '2026-01-03T00:00:00.000Z';
const LATER = '2026-02-03T00:00:00.000Z';
const grantOf = (exportId: string, userId = 'user_ann') => ({
  exportId,
  userId,
  access: 'read-only' as const,
  createdAt: AT,
});

export function exportContract(store: () => NasStore, concurrently: Concurrently): void {
  const savedNode = async (overrides: Partial<NodeRecord> = {}) => {
    const node = nodeRecord(overrides);
    await store().nodes.save(node);
    return node;
  };

  describe('exports', () => {
    it('creates a node inventory with new ids in input order, and lists exports by label then id', async () => {
      const node = await savedNode();
      const inputs = [
        exportInput('b', { label: 'Same' }),
        exportInput('a', { label: 'Same' }),
        exportInput('c', { label: 'Alpha', freeBytes: null, usedBytes: null, capacityBytes: null }),
      ];
      const records = await store().exports.replaceForNode(node.id, inputs, idSequence(), AT);
      expect(records).toEqual(
        inputs.map((input, i) => ({ ...input, id: `exp_${i + 1}`, nodeId: node.id, createdAt: AT })),
      );
      expect(await store().exports.list()).toEqual([records[2], records[0], records[1]]);
      expect(await store().exports.byId('exp_2')).toEqual(records[1]);
      expect(await store().exports.byId('exp_nothing')).toBeUndefined();
    });

    it('keeps ids and createdAt of kept paths, takes every other field from the input, and drops the rest with their grants', async () => {
      const node = await savedNode();
      const [a, b] = await store().exports.replaceForNode(
        node.id,
        [exportInput('a'), exportInput('b')],
        idSequence('first'),
        AT,
      );
      if (!a || !b) throw new Error('not created');
      await store().grants.put(grantOf(a.id));
      await store().grants.put(grantOf(b.id));
      const changedA = exportInput('a', {
        label: 'A renamed',
        mountPath: '/dav/exports/a-moved/',
        capacityBytes: 5,
        freeBytes: 3,
        usedBytes: 2,
        tags: ['ssd', 'fast'],
      });
      const records = await store().exports.replaceForNode(
        node.id,
        [exportInput('new'), changedA],
        idSequence('second'),
        LATER,
      );
      expect(records).toEqual([
        { ...exportInput('new'), id: 'second_1', nodeId: node.id, createdAt: LATER },
        { ...changedA, id: a.id, nodeId: node.id, createdAt: AT },
      ]);
      expect(await store().exports.byId(a.id)).toEqual(records[1]);
      expect(await store().exports.byId(b.id)).toBeUndefined();
      expect(await store().grants.find(b.id, 'user_ann')).toBeUndefined();
      expect((await store().grants.listForUser('user_ann')).map((grant) => grant.exportId)).toEqual([a.id]);
      expect(await store().grants.find(a.id, 'user_ann')).toMatchObject({ access: 'read-only' });
      expect((await store().exports.list()).map((record) => record.id).sort()).toEqual([a.id, 'second_1']);
    });

    it('lets two kept exports trade mount paths, and a new export take a removed one’s', async () => {
      const node = await savedNode();
      const a = exportInput('a', { mountPath: '/m/one/' });
      const b = exportInput('b', { mountPath: '/m/two/' });
      const c = exportInput('c', { mountPath: '/m/three/' });
      const before = await store().exports.replaceForNode(node.id, [a, b, c], idSequence('x'), AT);
      const after = await store().exports.replaceForNode(
        node.id,
        [
          { ...a, mountPath: '/m/two/' },
          { ...b, mountPath: '/m/one/' },
          exportInput('d', { mountPath: '/m/three/' }),
        ],
        idSequence('y'),
        LATER,
      );
      expect(after.map((record) => [record.id, record.mountPath])).toEqual([
        [before[0]?.id, '/m/two/'],
        [before[1]?.id, '/m/one/'],
        ['y_1', '/m/three/'],
      ]);
      const listed = new Map((await store().exports.list()).map((record) => [record.id, record.mountPath]));
      expect(Object.fromEntries(listed)).toEqual({
        [before[0]?.id as string]: '/m/two/',
        [before[1]?.id as string]: '/m/one/',
        y_1: '/m/three/',
      });
    });

    it('refuses an inventory that lists a path or a mount path twice, and writes nothing', async () => {
      const node = await savedNode();
      const [kept] = await store().exports.replaceForNode(node.id, [exportInput('a')], idSequence(), AT);
      for (const [field, inputs] of [
        ['path', [exportInput('a'), exportInput('a', { mountPath: '/other/' })]],
        ['path', [exportInput('n'), exportInput('n', { mountPath: '/other/' })]],
        ['mountPath', [exportInput('a'), exportInput('b', { mountPath: exportInput('a').mountPath })]],
      ] as const) {
        const error = await thrown(store().exports.replaceForNode(node.id, inputs, idSequence('no'), LATER));
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ code: 'store_conflict', details: { field } });
      }
      expect(await store().exports.list()).toEqual([kept]);
    });

    it('lists one node’s exports by label then id, without the other nodes’ ones', async () => {
      const [mine, theirs] = [await savedNode(), await savedNode()];
      const own = await store().exports.replaceForNode(
        mine.id,
        [
          exportInput('b', { label: 'Same' }),
          exportInput('a', { label: 'Same' }),
          exportInput('c', { label: 'Alpha' }),
        ],
        idSequence('mine'),
        AT,
      );
      await store().exports.replaceForNode(
        theirs.id,
        [exportInput('a'), exportInput('d')],
        idSequence('theirs'),
        AT,
      );
      expect(await store().exports.listForNode(mine.id)).toEqual([own[2], own[0], own[1]]);
      expect((await store().exports.listForNode(theirs.id)).map((record) => record.nodeId)).toEqual([
        theirs.id,
        theirs.id,
      ]);
      expect(await store().exports.listForNode('node_nobody')).toEqual([]);
      // A node whose inventory went empty lists nothing, and the other node keeps its exports.
      await store().exports.replaceForNode(mine.id, [], idSequence('none'), LATER);
      expect(await store().exports.listForNode(mine.id)).toEqual([]);
      expect(await store().exports.listForNode(theirs.id)).toHaveLength(2);
    });

    it('refuses an inventory for an unknown node, and answers an empty one with nothing', async () => {
      const error = await thrown(
        store().exports.replaceForNode('node_nobody', [exportInput('a')], idSequence(), AT),
      );
      expect(error).toBeInstanceOf(NasError);
      expect(error).toMatchObject({ code: 'node_not_found' });
      expect(await store().exports.replaceForNode('node_nobody', [], idSequence(), AT)).toEqual([]);
      expect(await store().exports.list()).toEqual([]);
    });

    it('puts an export by id: inserts, then updates keeping its node, path and createdAt', async () => {
      const node = await savedNode();
      const other = await savedNode();
      const record = exportRecord(node.id, 'imported');
      await store().exports.put(record);
      expect(await store().exports.byId(record.id)).toEqual(record);
      const changed = {
        ...record,
        nodeId: other.id,
        path: '/srv/elsewhere',
        createdAt: LATER,
        label: 'Relabelled',
        mountPath: '/dav/exports/moved/',
        capacityBytes: null,
        tags: [],
      };
      await store().exports.put(changed);
      expect(await store().exports.byId(record.id)).toEqual({
        ...changed,
        nodeId: node.id,
        path: record.path,
        createdAt: record.createdAt,
      });
      // A later sync of the node knows the imported export by its path.
      const [synced] = await store().exports.replaceForNode(
        node.id,
        [exportInput('imported', { path: record.path })],
        idSequence('no'),
        LATER,
      );
      expect(synced).toMatchObject({ id: record.id, createdAt: record.createdAt });
    });

    it('refuses to put an export on an unknown node, or on a path or mount path its node already has', async () => {
      const node = await savedNode();
      await store().exports.put(exportRecord(node.id, 'a'));
      expect(await thrown(store().exports.put(exportRecord('node_nobody', 'x')))).toMatchObject({
        code: 'node_not_found',
      });
      const samePath = exportRecord(node.id, 'b', { path: exportRecord(node.id, 'a').path });
      expect(await thrown(store().exports.put(samePath))).toMatchObject({
        code: 'store_conflict',
        details: { field: 'path' },
      });
      const sameMount = exportRecord(node.id, 'c', { mountPath: exportRecord(node.id, 'a').mountPath });
      expect(await thrown(store().exports.put(sameMount))).toMatchObject({
        code: 'store_conflict',
        details: { field: 'mountPath' },
      });
      await store().exports.put(exportRecord(node.id, 'd'));
      const moveOnto = { ...exportRecord(node.id, 'd'), mountPath: exportRecord(node.id, 'a').mountPath };
      expect(await thrown(store().exports.put(moveOnto))).toMatchObject({ code: 'store_conflict' });
      expect((await store().exports.list()).map((record) => record.id).sort()).toEqual(['exp_a', 'exp_d']);
      expect((await store().exports.byId('exp_d'))?.mountPath).toBe(exportRecord(node.id, 'd').mountPath);
    });

    it('updates the space of the node’s own exports only, returning the ids that changed in order', async () => {
      const node = await savedNode();
      const other = await savedNode();
      const [a, b] = await store().exports.replaceForNode(
        node.id,
        [exportInput('a', { freeBytes: null }), exportInput('b')],
        idSequence('mine'),
        AT,
      );
      const [foreign] = await store().exports.replaceForNode(
        other.id,
        [exportInput('f')],
        idSequence('theirs'),
        AT,
      );
      if (!a || !b || !foreign) throw new Error('not created');
      const changed = await store().exports.updateSpace(node.id, [
        { exportId: b.id, capacityBytes: b.capacityBytes, freeBytes: b.freeBytes, usedBytes: b.usedBytes },
        { exportId: a.id, capacityBytes: 10, freeBytes: 4, usedBytes: 6 },
        { exportId: foreign.id, capacityBytes: 1, freeBytes: 1, usedBytes: 0 },
        { exportId: 'exp_nothing', capacityBytes: 1, freeBytes: 1, usedBytes: 0 },
        { exportId: a.id, capacityBytes: 10, freeBytes: 4, usedBytes: 6 },
        { exportId: b.id, capacityBytes: null, freeBytes: null, usedBytes: null },
      ]);
      expect(changed).toEqual([a.id, b.id]);
      expect(await store().exports.byId(a.id)).toEqual({
        ...a,
        capacityBytes: 10,
        freeBytes: 4,
        usedBytes: 6,
      });
      expect(await store().exports.byId(b.id)).toEqual({
        ...b,
        capacityBytes: null,
        freeBytes: null,
        usedBytes: null,
      });
      expect(await store().exports.byId(foreign.id)).toEqual(foreign);
      expect(
        await store().exports.updateSpace('node_nobody', [
          { exportId: a.id, capacityBytes: 1, freeBytes: 1, usedBytes: 1 },
        ]),
      ).toEqual([]);
    });

    concurrently(() => {
      it('keeps a sync’s fields and never brings back a removed export when space updates race it', async () => {
        const node = await savedNode();
        const input = exportInput('a');
        const [a] = await store().exports.replaceForNode(node.id, [input], idSequence(), AT);
        if (!a) throw new Error('not created');
        for (let round = 1; round <= 8; round++) {
          const space = { exportId: a.id, capacityBytes: 1_000_000, freeBytes: round, usedBytes: 7 };
          await Promise.all([
            store().exports.replaceForNode(
              node.id,
              [{ ...input, label: `Round ${round}` }],
              idSequence('no'),
              LATER,
            ),
            store().exports.updateSpace(node.id, [space]),
            store().exports.updateSpace(node.id, [{ ...space, usedBytes: 8 }]),
          ]);
          const after = await store().exports.byId(a.id);
          expect(after?.label).toBe(`Round ${round}`);
          expect([input.freeBytes, round]).toContain(after?.freeBytes);
        }
        await Promise.all([
          store().exports.replaceForNode(node.id, [], idSequence('no'), LATER),
          store().exports.updateSpace(node.id, [
            { exportId: a.id, capacityBytes: 1, freeBytes: 1, usedBytes: 1 },
          ]),
        ]);
        expect(await store().exports.byId(a.id)).toBeUndefined();
        expect(await store().exports.list()).toEqual([]);
        expect(
          await store().exports.updateSpace(node.id, [
            { exportId: a.id, capacityBytes: 2, freeBytes: 2, usedBytes: 2 },
          ]),
        ).toEqual([]);
        expect(await store().exports.byId(a.id)).toBeUndefined();
      });

      it('ends two concurrent syncs of one node with one export per path, as if one came after the other', async () => {
        const node = await savedNode();
        const inputs = [exportInput('a'), exportInput('b'), exportInput('c')];
        for (let round = 1; round <= 4; round++) {
          const first = inputs.map((input) => ({ ...input, label: `first ${round}` }));
          const second = inputs.map((input) => ({ ...input, label: `second ${round}` }));
          const [one, two] = await Promise.all([
            store().exports.replaceForNode(node.id, first, idSequence(`r${round}a`), AT),
            store().exports.replaceForNode(node.id, second, idSequence(`r${round}b`), AT),
          ]);
          const listed = await store().exports.list();
          expect(listed).toHaveLength(3);
          expect(new Set(listed.map((record) => record.path)).size).toBe(3);
          // Whichever committed last, all its fields and ids are what the store holds.
          const last = listed.every((record) => record.label === `second ${round}`) ? two : one;
          expect(listed.map((record) => record.id).sort()).toEqual(last.map((record) => record.id).sort());
          expect(new Set(listed.map((record) => record.label)).size).toBe(1);
        }
      });

      it('takes a grant back when its export is removed while the grant is written', async () => {
        const node = await savedNode();
        for (let round = 1; round <= 6; round++) {
          const [record] = await store().exports.replaceForNode(
            node.id,
            [exportInput(`r${round}`)],
            idSequence(`g${round}`),
            AT,
          );
          if (!record) throw new Error('not created');
          const { rejected } = await settle([
            store().grants.put(grantOf(record.id, `user_${round}`)),
            store().exports.replaceForNode(node.id, [], idSequence('no'), LATER),
          ]);
          for (const error of rejected) expect(error).toMatchObject({ code: 'export_not_found' });
          expect(await store().grants.find(record.id, `user_${round}`)).toBeUndefined();
          expect(await store().grants.listForUser(`user_${round}`)).toEqual([]);
        }
      });
    });
  });
}
