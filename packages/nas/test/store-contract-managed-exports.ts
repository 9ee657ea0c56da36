// Contract of ManagedExportRepository: one document per node, changed atomically (a computed change, none
// lost to a concurrent writer), forgotten with its node.

import { describe, expect, it } from 'vitest';
import type { ManagedExportRecord, ManagedExportsDoc, NasStore } from '../src/control/store/repositories.js';
import type { Concurrently } from './store-contract.js';
import { AWKWARD_IDS } from './store-contract-fixtures.js';

const managed = (id: string, label = id): ManagedExportRecord => ({
  id,
  root: '/srv/nas',
  relativePath: `photos/${id}`,
  label,
  mountPath: `/dav/${id}/`,
  createdBy: 'user_ann',
  createdAt: '2026-01-01T00:00:00.000Z',
});

const adding =
  (record: ManagedExportRecord) =>
  (doc: ManagedExportsDoc): ManagedExportsDoc => ({ ...doc, exports: [...doc.exports, record] });

export function managedExportContract(store: () => NasStore, concurrently: Concurrently): void {
  describe('managed exports', () => {
    it('starts empty, stores a change, and keeps nodes apart (awkward ids too)', async () => {
      expect(await store().managedExports.forNode('node_a')).toEqual({ roots: [], exports: [] });
      for (const nodeId of AWKWARD_IDS) {
        const stored = await store().managedExports.change(nodeId, (doc) => ({
          ...doc,
          roots: [`/srv/${nodeId}`],
        }));
        expect(stored).toEqual({ roots: [`/srv/${nodeId}`], exports: [] });
      }
      for (const nodeId of AWKWARD_IDS)
        expect(await store().managedExports.forNode(nodeId)).toEqual({
          roots: [`/srv/${nodeId}`],
          exports: [],
        });
      await store().managedExports.change('node_a', adding(managed('m1')));
      expect((await store().managedExports.forNode('node_a')).exports).toEqual([managed('m1')]);
    });

    it('writes nothing when the change returns undefined, and lets its error through', async () => {
      await store().managedExports.change('node_a', adding(managed('m1')));
      const kept = await store().managedExports.change('node_a', () => undefined);
      expect(kept.exports).toEqual([managed('m1')]);
      await expect(
        store().managedExports.change('node_a', () => {
          throw new Error('label taken');
        }),
      ).rejects.toThrow('label taken');
      expect((await store().managedExports.forNode('node_a')).exports).toEqual([managed('m1')]);
    });

    it('forgets a removed node, and removing an unknown one is a no-op', async () => {
      await store().managedExports.change('node_a', adding(managed('m1')));
      await store().managedExports.removeNode('node_a');
      await store().managedExports.removeNode('node_never');
      expect(await store().managedExports.forNode('node_a')).toEqual({ roots: [], exports: [] });
    });

    concurrently(() => {
      it('loses no change of concurrent writers', async () => {
        const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
        await Promise.all(ids.map((id) => store().managedExports.change('node_a', adding(managed(id)))));
        const stored = (await store().managedExports.forNode('node_a')).exports.map((record) => record.id);
        expect(stored.sort()).toEqual(ids);
      });
    });
  });
}
