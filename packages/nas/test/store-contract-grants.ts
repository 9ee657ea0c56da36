// Contract of GrantRepository: one grant per (export, user), an export required, ordering, removal.

import { describe, expect, it } from 'vitest';
import type { GrantRecord, NasStore } from '../src/control/store/repositories.js';
import { NasError } from '../src/errors.js';
import type { Concurrently } from './store-contract.js';
import { AWKWARD_IDS, exportInput, idSequence, nodeRecord, thrown } from './store-contract-fixtures.js';

const grant = (
  exportId: string,
  userId: string,
  createdAt: string,
  access: GrantRecord['access'] = 'read-write',
) => ({
  exportId,
  userId,
  access,
  createdAt,
});

export function grantContract(store: () => NasStore, concurrently: Concurrently): void {
  const exportsOnANode = async (names: readonly string[]) => {
    const node = nodeRecord();
    await store().nodes.save(node);
    return store().exports.replaceForNode(
      node.id,
      names.map((name) => exportInput(name)),
      idSequence('exp'),
      'at',
    );
  };

  describe('grants', () => {
    it('finds and lists grants, by export oldest first then user, by user oldest first then export', async () => {
      const [a, b] = await exportsOnANode(['a', 'b']);
      if (!a || !b) throw new Error('not created');
      await store().grants.put(grant(a.id, 'user_b', '2026-01-02T00:00:00.000Z'));
      await store().grants.put(grant(a.id, 'user_c', '2026-01-01T00:00:00.000Z', 'none'));
      await store().grants.put(grant(a.id, 'user_a', '2026-01-02T00:00:00.000Z', 'read-only'));
      await store().grants.put(grant(b.id, 'user_a', '2026-01-02T00:00:00.000Z'));
      expect((await store().grants.listForExport(a.id)).map((g) => g.userId)).toEqual([
        'user_c',
        'user_a',
        'user_b',
      ]);
      expect(await store().grants.listForUser('user_a')).toEqual([
        grant(a.id, 'user_a', '2026-01-02T00:00:00.000Z', 'read-only'),
        grant(b.id, 'user_a', '2026-01-02T00:00:00.000Z'),
      ]);
      expect(await store().grants.find(a.id, 'user_c')).toEqual(
        grant(a.id, 'user_c', '2026-01-01T00:00:00.000Z', 'none'),
      );
      expect(await store().grants.find(b.id, 'user_c')).toBeUndefined();
      expect(await store().grants.listForUser('user_nobody')).toEqual([]);
      expect(await store().grants.listForExport('exp_nothing')).toEqual([]);
    });

    it('changes the access of an existing grant and keeps its createdAt', async () => {
      const [a] = await exportsOnANode(['a']);
      if (!a) throw new Error('not created');
      await store().grants.put(grant(a.id, 'user_a', '2026-01-01T00:00:00.000Z'));
      await store().grants.put(grant(a.id, 'user_a', '2026-03-01T00:00:00.000Z', 'none'));
      expect(await store().grants.listForExport(a.id)).toEqual([
        grant(a.id, 'user_a', '2026-01-01T00:00:00.000Z', 'none'),
      ]);
      expect(await store().grants.listForUser('user_a')).toHaveLength(1);
    });

    it('refuses a grant on an export that does not exist', async () => {
      const error = await thrown(store().grants.put(grant('exp_nothing', 'user_a', 'at')));
      expect(error).toBeInstanceOf(NasError);
      expect(error).toMatchObject({ code: 'export_not_found' });
      expect(await store().grants.listForUser('user_a')).toEqual([]);
    });

    it('removes a grant once: true, then false', async () => {
      const [a] = await exportsOnANode(['a']);
      if (!a) throw new Error('not created');
      await store().grants.put(grant(a.id, 'user_a', 'at'));
      expect(await store().grants.remove(a.id, 'user_a')).toBe(true);
      expect(await store().grants.remove(a.id, 'user_a')).toBe(false);
      expect(await store().grants.find(a.id, 'user_a')).toBeUndefined();
      expect(await store().grants.listForUser('user_a')).toEqual([]);
    });

    it('takes any text as a user id', async () => {
      const [a] = await exportsOnANode(['a']);
      if (!a) throw new Error('not created');
      for (const userId of AWKWARD_IDS) await store().grants.put(grant(a.id, userId, 'at'));
      for (const userId of AWKWARD_IDS) {
        expect(await store().grants.find(a.id, userId)).toMatchObject({ userId });
        expect((await store().grants.listForUser(userId)).map((g) => g.userId)).toEqual([userId]);
      }
      expect(await store().grants.listForExport(a.id)).toHaveLength(AWKWARD_IDS.length);
    });

    concurrently(() => {
      it('reports one of two concurrent removals of a grant as the one that removed it', async () => {
        const [a] = await exportsOnANode(['a']);
        if (!a) throw new Error('not created');
        await store().grants.put(grant(a.id, 'user_a', 'at'));
        const results = await Promise.all([
          store().grants.remove(a.id, 'user_a'),
          store().grants.remove(a.id, 'user_a'),
        ]);
        expect(results.sort()).toEqual([false, true]);
      });

      it('keeps a grant listed for its user when it is granted again while being removed', async () => {
        const [a] = await exportsOnANode(['a']);
        if (!a) throw new Error('not created');
        for (let round = 0; round < 8; round++) {
          await store().grants.put(grant(a.id, 'user_a', 'at'));
          await Promise.all([
            store().grants.remove(a.id, 'user_a'),
            store().grants.put(grant(a.id, 'user_a', 'at')),
          ]);
          const found = await store().grants.find(a.id, 'user_a');
          const listed = await store().grants.listForUser('user_a');
          // Whichever came last, the user's list agrees with the grant itself.
          expect(listed).toEqual(found ? [found] : []);
        }
      });
    });
  });
}
