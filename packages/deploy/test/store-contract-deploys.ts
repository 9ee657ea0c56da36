// Contract of deploys: enqueue (seqs, superseding automatic ones), listing and paging, progress, finish and
// cancel; then the queue — one running deploy per stage across replicas, claims in order, finish frees.

import { describe, expect, it } from 'vitest';
import type { DeployStep } from '../src/model.js';
import type { Concurrently, Subject } from './store-contract.js';
import { at, deployInput, projectInput, stageInput, thrown } from './store-contract-fixtures.js';

const NO_SUPERSEDE = { supersedeAutomatic: false };

/** Project shop with stages a and b, project blog with stage c. */
async function setUp({ store }: Subject) {
  await store().projects.create(projectInput('shop'), at(0));
  await store().projects.create(projectInput('blog'), at(0));
  const a = (await store().stages.create(stageInput('p_shop', 'a'), at(0))).id;
  const b = (await store().stages.create(stageInput('p_shop', 'b'), at(0))).id;
  const c = (await store().stages.create(stageInput('p_blog', 'c'), at(0))).id;
  return { a, b, c };
}

export function deployContract(subject: Subject): void {
  const { store } = subject;
  const enqueue = (
    stageId: string,
    id: string,
    minute: number,
    overrides: Parameters<typeof deployInput>[3] = {},
  ) =>
    store().deploys.enqueue(
      deployInput(stageId === 's_p_blog_c' ? 'p_blog' : 'p_shop', stageId, id, overrides),
      at(minute),
      NO_SUPERSEDE,
    );

  describe('deploys', () => {
    it('queues a deploy with the stage’s next seq and reads it back whole', async () => {
      const { a, b } = await setUp(subject);
      const { deploy, superseded } = await enqueue(a, 'd1', 1, {
        digest: 'sha256:abc',
        releaseId: 'r1',
        trigger: 'rollback',
      });
      expect(superseded).toEqual([]);
      expect(deploy).toEqual({
        id: 'd1',
        projectId: 'p_shop',
        stageId: a,
        seq: 1,
        trigger: 'rollback',
        requestedBy: 'user_ann',
        tag: '1.0.0',
        digest: 'sha256:abc',
        releaseId: 'r1',
        status: 'queued',
        steps: [],
        error: null,
        color: null,
        runner: null,
        cancelRequested: false,
        createdAt: at(1),
        startedAt: null,
        endedAt: null,
      });
      expect(await store().deploys.get('d1')).toEqual(deploy);
      expect((await enqueue(a, 'd2', 2)).deploy.seq).toBe(2);
      expect((await enqueue(b, 'd3', 2)).deploy.seq).toBe(1);
      expect(await store().deploys.get('d_none')).toBeUndefined();
    });

    it('refuses a deploy of an unknown stage', async () => {
      expect(
        await thrown(store().deploys.enqueue(deployInput('p_shop', 's_none', 'd1'), at(1), NO_SUPERSEDE)),
      ).toMatchObject({
        code: 'deploy_store_not_found',
      });
    });

    it('supersedes the stage’s queued webhook and poller deploys only, in the same write', async () => {
      const { a, b } = await setUp(subject);
      await enqueue(a, 'web1', 1, { trigger: 'webhook', requestedBy: null });
      await enqueue(a, 'man1', 2, { trigger: 'manual' });
      await enqueue(a, 'poll1', 3, { trigger: 'poller', requestedBy: null });
      await enqueue(b, 'webB', 3, { trigger: 'webhook', requestedBy: null });
      // Running automatic deploys are not superseded.
      await store().deploys.claimNext(a, 'replica-a', at(4));
      expect((await store().deploys.get('web1'))?.status).toBe('running');
      const { deploy, superseded } = await store().deploys.enqueue(
        deployInput('p_shop', a, 'web2', { trigger: 'webhook', requestedBy: null }),
        at(5),
        { supersedeAutomatic: true },
      );
      expect(deploy).toMatchObject({ id: 'web2', status: 'queued', seq: 4 });
      expect(superseded.map((d) => [d.id, d.status, d.endedAt])).toEqual([['poll1', 'superseded', at(5)]]);
      expect(await store().deploys.get('poll1')).toMatchObject({ status: 'superseded', endedAt: at(5) });
      expect(await store().deploys.get('man1')).toMatchObject({ status: 'queued' });
      expect(await store().deploys.get('webB')).toMatchObject({ status: 'queued' });
      // Without the option nothing is superseded.
      const kept = await enqueue(a, 'web3', 6, { trigger: 'webhook' });
      expect(kept.superseded).toEqual([]);
      expect(await store().deploys.get('web2')).toMatchObject({ status: 'queued' });
    });

    it('lists newest first, by stage, project or all, filtered by status, at most the limit', async () => {
      const { a, b, c } = await setUp(subject);
      await enqueue(a, 'a1', 1);
      await enqueue(b, 'b1', 2);
      await enqueue(c, 'c1', 3);
      await enqueue(a, 'a2', 4);
      await enqueue(a, 'a3', 5);
      await store().deploys.finish('a1', 'succeeded', null, at(6));
      await store().deploys.finish('b1', 'failed', { step: 'health', reason: 'never healthy' }, at(6));
      const ids = async (query: Parameters<ReturnType<Subject['store']>['deploys']['list']>[0]) =>
        (await store().deploys.list(query)).map((deploy) => deploy.id);
      expect(await ids({ stageId: a, limit: 10 })).toEqual(['a3', 'a2', 'a1']);
      expect(await ids({ stageId: a, limit: 2 })).toEqual(['a3', 'a2']);
      expect(await ids({ projectId: 'p_shop', limit: 10 })).toEqual(['a3', 'a2', 'b1', 'a1']);
      expect(await ids({ projectId: 'p_shop', limit: 3 })).toEqual(['a3', 'a2', 'b1']);
      expect(await ids({ limit: 10 })).toEqual(['a3', 'a2', 'c1', 'b1', 'a1']);
      expect(await ids({ limit: 0 })).toEqual([]);
      expect(await ids({ statuses: ['queued'], limit: 10 })).toEqual(['a3', 'a2', 'c1']);
      expect(await ids({ statuses: ['succeeded', 'failed'], limit: 10 })).toEqual(['b1', 'a1']);
      expect(await ids({ projectId: 'p_shop', statuses: ['queued', 'failed'], limit: 10 })).toEqual([
        'a3',
        'a2',
        'b1',
      ]);
      expect(await ids({ stageId: a, statuses: ['succeeded'], limit: 10 })).toEqual(['a1']);
      expect(await ids({ stageId: 's_none', limit: 10 })).toEqual([]);
    });

    it('pages a stage’s history by seq', async () => {
      const { a, b } = await setUp(subject);
      for (let i = 1; i <= 7; i++) await enqueue(a, `a${i}`, i);
      await enqueue(b, 'b1', 3);
      await store().deploys.finish('a2', 'cancelled', null, at(9));
      const page = async (beforeSeq: number, limit: number, statuses?: ('queued' | 'cancelled')[]) =>
        (await store().deploys.list({ stageId: a, beforeSeq, limit, ...(statuses ? { statuses } : {}) })).map(
          (d) => d.seq,
        );
      expect(await page(8, 3)).toEqual([7, 6, 5]);
      expect(await page(5, 3)).toEqual([4, 3, 2]);
      expect(await page(2, 3)).toEqual([1]);
      expect(await page(1, 3)).toEqual([]);
      expect(await page(5, 10, ['queued'])).toEqual([4, 3, 1]);
      expect(await page(8, 10, ['cancelled'])).toEqual([2]);
    });

    it('writes progress of a running deploy only', async () => {
      const { a } = await setUp(subject);
      await enqueue(a, 'd1', 1);
      const steps: DeployStep[] = [
        { name: 'resolve', status: 'ok', startedAt: at(2), endedAt: at(2), message: null },
        { name: 'pull', status: 'running', startedAt: at(2), endedAt: null, message: 'pulling' },
      ];
      expect(await store().deploys.progress('d1', { steps })).toBeUndefined();
      await store().deploys.claimNext(a, 'replica-a', at(2));
      const written = await store().deploys.progress('d1', { digest: 'sha256:1', releaseId: 'r1', steps });
      expect(written).toMatchObject({
        digest: 'sha256:1',
        releaseId: 'r1',
        color: null,
        steps,
        status: 'running',
      });
      const colored = await store().deploys.progress('d1', { color: 'green' });
      expect(colored).toMatchObject({ digest: 'sha256:1', releaseId: 'r1', color: 'green', steps });
      expect(await store().deploys.get('d1')).toEqual(colored);
      await store().deploys.finish('d1', 'succeeded', null, at(3));
      expect(await store().deploys.progress('d1', { color: 'blue' })).toBeUndefined();
      expect(await store().deploys.progress('d_none', { color: 'blue' })).toBeUndefined();
      expect((await store().deploys.get('d1'))?.color).toBe('green');
    });

    it('finishes a running or queued deploy once: the first finish wins', async () => {
      const { a } = await setUp(subject);
      await enqueue(a, 'd1', 1);
      await enqueue(a, 'd2', 1);
      await store().deploys.claimNext(a, 'replica-a', at(2));
      const error = { step: 'health' as const, reason: 'never healthy within 60 s' };
      const finished = await store().deploys.finish('d1', 'failed', error, at(3));
      expect(finished).toMatchObject({
        id: 'd1',
        status: 'failed',
        error,
        endedAt: at(3),
        runner: 'replica-a',
      });
      expect(await store().deploys.finish('d1', 'succeeded', null, at(4))).toBeUndefined();
      expect(await store().deploys.get('d1')).toEqual(finished);
      expect(await store().deploys.finish('d2', 'superseded', null, at(5))).toMatchObject({
        status: 'superseded',
        endedAt: at(5),
      });
      expect(await store().deploys.finish('d_none', 'failed', null, at(5))).toBeUndefined();
    });

    it('cancels a queued deploy at once and asks a running one to stop; a finished one is returned as it is', async () => {
      const { a } = await setUp(subject);
      await enqueue(a, 'd1', 1);
      await enqueue(a, 'd2', 1);
      await store().deploys.claimNext(a, 'replica-a', at(2));
      const running = await store().deploys.requestCancel('d1', at(3));
      expect(running).toMatchObject({ status: 'running', cancelRequested: true, endedAt: null });
      const queued = await store().deploys.requestCancel('d2', at(3));
      expect(queued).toMatchObject({ status: 'cancelled', endedAt: at(3), cancelRequested: false });
      expect(await store().deploys.get('d2')).toEqual(queued);
      expect(await store().deploys.requestCancel('d2', at(4))).toEqual(queued);
      const stopped = await store().deploys.finish(
        'd1',
        'cancelled',
        { step: 'pull', reason: 'cancelled' },
        at(4),
      );
      expect(stopped).toMatchObject({ status: 'cancelled', cancelRequested: true });
      expect(await store().deploys.requestCancel('d1', at(5))).toEqual(stopped);
      expect(await store().deploys.requestCancel('d_none', at(5))).toBeUndefined();
    });
  });
}

export function queueContract(subject: Subject, concurrently: Concurrently): void {
  const { store, replica } = subject;
  const enqueue = (stageId: string, id: string, minute: number) =>
    store().deploys.enqueue(deployInput('p_shop', stageId, id), at(minute), NO_SUPERSEDE);

  describe('the deploy queue', () => {
    it('claims the stage’s oldest queued deploy, one at a time; finish frees the stage', async () => {
      const { a } = await setUp(subject);
      expect(await store().deploys.claimNext(a, 'replica-a', at(1))).toBeUndefined();
      await enqueue(a, 'd1', 1);
      await enqueue(a, 'd2', 2);
      const claimed = await store().deploys.claimNext(a, 'replica-a', at(3));
      expect(claimed).toMatchObject({ id: 'd1', status: 'running', runner: 'replica-a', startedAt: at(3) });
      expect(await store().deploys.get('d1')).toEqual(claimed);
      expect(await store().deploys.claimNext(a, 'replica-b', at(4))).toBeUndefined();
      expect(await store().deploys.get('d2')).toMatchObject({ status: 'queued', runner: null });
      await store().deploys.finish('d1', 'succeeded', null, at(5));
      expect(await store().deploys.claimNext(a, 'replica-b', at(6))).toMatchObject({
        id: 'd2',
        runner: 'replica-b',
      });
      await store().deploys.finish('d2', 'failed', null, at(7));
      expect(await store().deploys.claimNext(a, 'replica-b', at(8))).toBeUndefined();
    });

    it('claims per stage: a running deploy of one stage does not hold another', async () => {
      const { a, b } = await setUp(subject);
      await enqueue(a, 'a1', 1);
      await enqueue(a, 'a2', 1);
      await enqueue(b, 'b1', 1);
      expect((await store().deploys.claimNext(a, 'r', at(2)))?.id).toBe('a1');
      expect((await store().deploys.claimNext(b, 'r', at(2)))?.id).toBe('b1');
    });

    it('skips cancelled and superseded deploys, and a queued deploy finished before its claim', async () => {
      const { a } = await setUp(subject);
      await enqueue(a, 'd1', 1);
      await enqueue(a, 'd2', 2);
      await enqueue(a, 'd3', 3);
      await store().deploys.requestCancel('d1', at(4));
      await store().deploys.finish('d2', 'superseded', null, at(4));
      expect((await store().deploys.claimNext(a, 'r', at(5)))?.id).toBe('d3');
    });

    it('lists the stages with a queued deploy', async () => {
      const { a, b, c } = await setUp(subject);
      expect(await store().deploys.stagesWithQueued()).toEqual([]);
      await enqueue(a, 'a1', 1);
      await store().deploys.enqueue(deployInput('p_blog', c, 'c1'), at(1), NO_SUPERSEDE);
      await enqueue(b, 'b1', 1);
      await store().deploys.claimNext(b, 'r', at(2));
      expect((await store().deploys.stagesWithQueued()).sort()).toEqual([a, c].sort());
      await store().deploys.requestCancel('c1', at(3));
      expect(await store().deploys.stagesWithQueued()).toEqual([a]);
    });

    concurrently(() => {
      it('lets one of two replicas racing for a stage claim it, again and again', async () => {
        const { a } = await setUp(subject);
        const other = await replica();
        for (let i = 1; i <= 4; i++) await enqueue(a, `d${i}`, i);
        for (let round = 1; round <= 4; round++) {
          const claims = await Promise.all([
            store().deploys.claimNext(a, 'replica-a', at(10 + round)),
            other.deploys.claimNext(a, 'replica-b', at(10 + round)),
            other.deploys.claimNext(a, 'replica-b', at(10 + round)),
          ]);
          const won = claims.filter((claim) => claim !== undefined);
          expect(won.map((claim) => claim?.id)).toEqual([`d${round}`]);
          const running = await store().deploys.list({ stageId: a, statuses: ['running'], limit: 10 });
          expect(running.map((deploy) => deploy.id)).toEqual([`d${round}`]);
          expect(running[0]?.runner).toBe(won[0]?.runner);
          await (round % 2 === 0 ? store() : other).deploys.finish(
            `d${round}`,
            'succeeded',
            null,
            at(20 + round),
          );
        }
      });

      it('assigns distinct consecutive seqs to deploys queued at once on two replicas', async () => {
        const { a } = await setUp(subject);
        const other = await replica();
        const made = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? store() : other).deploys.enqueue(
              deployInput('p_shop', a, `d${i}`),
              at(1),
              NO_SUPERSEDE,
            ),
          ),
        );
        expect(made.map(({ deploy }) => deploy.seq).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });

      it('lets the first of two finishes win, on two replicas', async () => {
        const { a } = await setUp(subject);
        const other = await replica();
        await enqueue(a, 'd1', 1);
        await store().deploys.claimNext(a, 'replica-a', at(2));
        const outcomes = await Promise.all([
          store().deploys.finish('d1', 'succeeded', null, at(3)),
          other.deploys.finish('d1', 'failed', { step: 'watch', reason: 'regressed' }, at(3)),
        ]);
        const winners = outcomes.filter((outcome) => outcome !== undefined);
        expect(winners).toHaveLength(1);
        expect(await store().deploys.get('d1')).toEqual(winners[0]);
      });
    });
  });
}
