// Contract of releases: per-stage seqs (also with concurrent callers), lookup by digest and configuration
// revision, newest-first listing, and success marked once.

import { describe, expect, it } from 'vitest';
import type { Concurrently, Subject } from './store-contract.js';
import {
  at,
  projectInput,
  releaseInput,
  stageConfig,
  stageInput,
  thrown,
} from './store-contract-fixtures.js';

export function releaseContract({ store, replica }: Subject, concurrently: Concurrently): void {
  const stages = async () => {
    await store().projects.create(projectInput('shop'), at(0));
    const a = await store().stages.create(stageInput('p_shop', 'a'), at(0));
    const b = await store().stages.create(stageInput('p_shop', 'b'), at(0));
    return { a: a.id, b: b.id };
  };

  describe('releases', () => {
    it('assigns seqs 1, 2, 3… per stage and reads a release back whole', async () => {
      const { a, b } = await stages();
      const config = stageConfig({ host: 'shop.example.com' });
      const first = await store().releases.create(
        releaseInput(a, 'r1', { config, configRevision: 2, tag: null }),
        at(1),
      );
      expect(first).toEqual({
        ...releaseInput(a, 'r1', { config, configRevision: 2, tag: null }),
        seq: 1,
        createdAt: at(1),
        succeededAt: null,
      });
      expect((await store().releases.create(releaseInput(a, 'r2'), at(2))).seq).toBe(2);
      expect((await store().releases.create(releaseInput(b, 'r3'), at(2))).seq).toBe(1);
      expect((await store().releases.create(releaseInput(a, 'r4'), at(3))).seq).toBe(3);
      expect(await store().releases.get('r1')).toEqual(first);
      expect(await store().releases.get('r_none')).toBeUndefined();
    });

    it('refuses a release of an unknown stage', async () => {
      expect(await thrown(store().releases.create(releaseInput('s_none', 'r1'), at(1)))).toMatchObject({
        code: 'deploy_store_not_found',
      });
    });

    it('finds the stage’s release of a digest at a configuration revision', async () => {
      const { a, b } = await stages();
      const digest = `sha256:${'d'.repeat(64)}`;
      await store().releases.create(releaseInput(a, 'r1', { digest, configRevision: 1 }), at(1));
      await store().releases.create(releaseInput(a, 'r2', { digest, configRevision: 2 }), at(2));
      await store().releases.create(releaseInput(b, 'r3', { digest, configRevision: 1 }), at(2));
      expect((await store().releases.find(a, digest, 1))?.id).toBe('r1');
      expect((await store().releases.find(a, digest, 2))?.id).toBe('r2');
      expect((await store().releases.find(b, digest, 1))?.id).toBe('r3');
      expect(await store().releases.find(a, digest, 3)).toBeUndefined();
      expect(await store().releases.find(a, `sha256:${'e'.repeat(64)}`, 1)).toBeUndefined();
    });

    it('lists a stage’s releases newest first, at most the limit', async () => {
      const { a, b } = await stages();
      for (let i = 1; i <= 5; i++) await store().releases.create(releaseInput(a, `r${i}`), at(i));
      await store().releases.create(releaseInput(b, 'rb'), at(9));
      expect((await store().releases.list(a, 3)).map((release) => release.seq)).toEqual([5, 4, 3]);
      expect((await store().releases.list(a, 10)).map((release) => release.id)).toEqual([
        'r5',
        'r4',
        'r3',
        'r2',
        'r1',
      ]);
      expect(await store().releases.list(a, 0)).toEqual([]);
      expect(await store().releases.list('s_none', 5)).toEqual([]);
    });

    it('marks a release succeeded once, keeping the first time', async () => {
      const { a } = await stages();
      await store().releases.create(releaseInput(a, 'r1'), at(1));
      expect(await store().releases.markSucceeded('r1', at(5))).toMatchObject({
        id: 'r1',
        succeededAt: at(5),
      });
      expect(await store().releases.markSucceeded('r1', at(9))).toMatchObject({ succeededAt: at(5) });
      expect(await store().releases.get('r1')).toMatchObject({ succeededAt: at(5) });
      expect(await store().releases.markSucceeded('r_none', at(9))).toBeUndefined();
    });

    concurrently(() => {
      it('assigns distinct consecutive seqs to releases made at once on two replicas', async () => {
        const { a } = await stages();
        const other = await replica();
        const made = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? store() : other).releases.create(releaseInput(a, `r${i}`), at(1)),
          ),
        );
        expect(made.map((release) => release.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect((await store().releases.list(a, 10)).map((release) => release.seq)).toEqual([
          8, 7, 6, 5, 4, 3, 2, 1,
        ]);
      });
    });
  });
}
