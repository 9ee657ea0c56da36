// Contract of projects, stages and live state: unique names and hosts, revisions, removal rules and what a
// stage's removal takes with it.

import { describe, expect, it } from 'vitest';
import type { StageLive } from '../src/model.js';
import type { Concurrently, Subject } from './store-contract.js';
import {
  at,
  deployInput,
  projectInput,
  releaseInput,
  stageConfig,
  stageInput,
  thrown,
} from './store-contract-fixtures.js';

export function projectContract({ store }: Subject): void {
  describe('projects', () => {
    it('creates a project and reads it by id and by name', async () => {
      const created = await store().projects.create(
        projectInput('shop', {
          registryAuth: { username: 'ci', sealedPassword: 'sealed:pw' },
          pollIntervalMs: 60_000,
        }),
        at(0),
      );
      expect(created).toEqual({
        id: 'p_shop',
        name: 'shop',
        description: 'The shop project',
        registryAuth: { username: 'ci', sealedPassword: 'sealed:pw' },
        pollIntervalMs: 60_000,
        createdAt: at(0),
        updatedAt: at(0),
      });
      expect(await store().projects.get('p_shop')).toEqual(created);
      expect(await store().projects.getByName('shop')).toEqual(created);
      expect(await store().projects.get('p_none')).toBeUndefined();
      expect(await store().projects.getByName('none')).toBeUndefined();
    });

    it('refuses a second project with a taken name, and frees the name when the project is removed', async () => {
      await store().projects.create(projectInput('shop'), at(0));
      expect(
        await thrown(store().projects.create(projectInput('shop', { id: 'p_other' }), at(1))),
      ).toMatchObject({
        code: 'deploy_project_exists',
      });
      expect(await store().projects.get('p_other')).toBeUndefined();
      expect(await store().projects.remove('p_shop')).toBe(true);
      expect(await store().projects.getByName('shop')).toBeUndefined();
      await store().projects.create(projectInput('shop', { id: 'p_other' }), at(2));
      expect((await store().projects.getByName('shop'))?.id).toBe('p_other');
    });

    it('lists projects by name', async () => {
      for (const name of ['web', 'api', 'shop']) await store().projects.create(projectInput(name), at(0));
      expect((await store().projects.list()).map((project) => project.name)).toEqual(['api', 'shop', 'web']);
    });

    it('updates the fields given and the update time, and nothing of an unknown project', async () => {
      await store().projects.create(projectInput('shop'), at(0));
      const updated = await store().projects.update(
        'p_shop',
        { description: 'Shop', pollIntervalMs: 5_000 },
        at(3),
      );
      expect(updated).toMatchObject({
        name: 'shop',
        description: 'Shop',
        pollIntervalMs: 5_000,
        registryAuth: null,
      });
      expect(updated?.updatedAt).toBe(at(3));
      expect(updated?.createdAt).toBe(at(0));
      const cleared = await store().projects.update('p_shop', { pollIntervalMs: null }, at(4));
      expect(cleared).toMatchObject({ description: 'Shop', pollIntervalMs: null });
      expect(await store().projects.get('p_shop')).toEqual(cleared);
      expect(await store().projects.update('p_none', { description: 'x' }, at(4))).toBeUndefined();
    });

    it('refuses to remove a project with stages, and removes it once they are gone', async () => {
      await store().projects.create(projectInput('shop'), at(0));
      await store().stages.create(stageInput('p_shop', 'production'), at(0));
      expect(await thrown(store().projects.remove('p_shop'))).toMatchObject({
        code: 'deploy_project_not_empty',
      });
      expect(await store().projects.get('p_shop')).toBeDefined();
      expect(await store().stages.remove('s_p_shop_production')).toBe(true);
      expect(await store().projects.remove('p_shop')).toBe(true);
      expect(await store().projects.get('p_shop')).toBeUndefined();
      expect(await store().projects.remove('p_shop')).toBe(false);
    });
  });
}

export function stageContract({ store, replica }: Subject, concurrently: Concurrently): void {
  const project = async (name = 'shop') => store().projects.create(projectInput(name), at(0));

  describe('stages', () => {
    it('creates a stage at configuration revision 1 and reads it by id, name and host (any case)', async () => {
      await project();
      const config = stageConfig({ host: 'Shop.Example.com' });
      const created = await store().stages.create(
        stageInput('p_shop', 'production', { host: 'Shop.Example.com' }),
        at(1),
      );
      expect(created).toEqual({
        id: 's_p_shop_production',
        projectId: 'p_shop',
        name: 'production',
        config,
        configRevision: 1,
        createdAt: at(1),
        updatedAt: at(1),
      });
      expect(await store().stages.get(created.id)).toEqual(created);
      expect(await store().stages.getByName('p_shop', 'production')).toEqual(created);
      expect(await store().stages.findByHost('shop.example.COM')).toEqual(created);
      expect(await store().stages.findByHost('other.example.com')).toBeUndefined();
      expect(await store().stages.getByName('p_shop', 'staging')).toBeUndefined();
    });

    it('refuses a stage of an unknown project', async () => {
      expect(await thrown(store().stages.create(stageInput('p_none', 'production'), at(1)))).toMatchObject({
        code: 'deploy_store_not_found',
      });
      expect(await store().stages.list()).toEqual([]);
    });

    it('refuses a taken stage name in its project, not in another project', async () => {
      await project('shop');
      await project('blog');
      await store().stages.create(stageInput('p_shop', 'production'), at(1));
      expect(
        await thrown(store().stages.create({ ...stageInput('p_shop', 'production'), id: 's_other' }, at(2))),
      ).toMatchObject({ code: 'deploy_stage_exists' });
      expect(await store().stages.get('s_other')).toBeUndefined();
      await store().stages.create(stageInput('p_blog', 'production'), at(2));
      expect((await store().stages.list()).map((stage) => stage.id)).toEqual([
        's_p_blog_production',
        's_p_shop_production',
      ]);
    });

    it('refuses a host another stage routes, whatever its case, and routes none twice', async () => {
      await project();
      await store().stages.create(stageInput('p_shop', 'production', { host: 'shop.example.com' }), at(1));
      expect(
        await thrown(
          store().stages.create(stageInput('p_shop', 'staging', { host: 'SHOP.example.com' }), at(2)),
        ),
      ).toMatchObject({ code: 'deploy_host_taken' });
      expect(await store().stages.getByName('p_shop', 'staging')).toBeUndefined();
      // Stages without a host do not collide.
      await store().stages.create(stageInput('p_shop', 'a'), at(3));
      await store().stages.create(stageInput('p_shop', 'b'), at(3));
    });

    it('lists a project’s stages by name, and every stage by project then name', async () => {
      await project('shop');
      await project('blog');
      for (const [projectId, name] of [
        ['p_shop', 'staging'],
        ['p_blog', 'production'],
        ['p_shop', 'production'],
      ] as const)
        await store().stages.create(stageInput(projectId, name), at(1));
      expect((await store().stages.list('p_shop')).map((stage) => stage.name)).toEqual([
        'production',
        'staging',
      ]);
      expect((await store().stages.list()).map((stage) => `${stage.projectId}/${stage.name}`)).toEqual([
        'p_blog/production',
        'p_shop/production',
        'p_shop/staging',
      ]);
      expect(await store().stages.list('p_none')).toEqual([]);
    });

    it('replaces the configuration at the expected revision and bumps it; a stale revision conflicts', async () => {
      await project();
      const stage = await store().stages.create(stageInput('p_shop', 'production'), at(1));
      const next = stageConfig({ watchMs: 1_000, env: [] });
      const updated = await store().stages.updateConfig(stage.id, next, 1, at(2));
      expect(updated).toEqual({ ...stage, config: next, configRevision: 2, updatedAt: at(2) });
      expect(await store().stages.get(stage.id)).toEqual(updated);
      expect(
        await thrown(store().stages.updateConfig(stage.id, stageConfig({ watchMs: 5 }), 1, at(3))),
      ).toMatchObject({ code: 'deploy_revision_conflict' });
      expect((await store().stages.get(stage.id))?.config).toEqual(next);
      expect(await store().stages.updateConfig('s_none', next, 1, at(3))).toBeUndefined();
    });

    it('takes a new host on update and frees the old one once it returns; refuses a taken one', async () => {
      await project();
      const a = await store().stages.create(stageInput('p_shop', 'a', { host: 'a.example.com' }), at(1));
      const b = await store().stages.create(stageInput('p_shop', 'b', { host: 'b.example.com' }), at(1));
      expect(
        await thrown(store().stages.updateConfig(a.id, stageConfig({ host: 'B.example.com' }), 1, at(2))),
      ).toMatchObject({ code: 'deploy_host_taken' });
      expect((await store().stages.get(a.id))?.configRevision).toBe(1);
      await store().stages.updateConfig(a.id, stageConfig({ host: 'new.example.com' }), 1, at(2));
      expect((await store().stages.findByHost('new.example.com'))?.id).toBe(a.id);
      expect(await store().stages.findByHost('a.example.com')).toBeUndefined();
      // The freed host is b's to take at once.
      await store().stages.updateConfig(b.id, stageConfig({ host: 'a.example.com' }), 1, at(3));
      expect((await store().stages.findByHost('a.example.com'))?.id).toBe(b.id);
      expect(await store().stages.findByHost('b.example.com')).toBeUndefined();
      // Keeping one's own host (any case) is no conflict; dropping it frees it.
      await store().stages.updateConfig(b.id, stageConfig({ host: 'A.EXAMPLE.com' }), 2, at(4));
      await store().stages.updateConfig(b.id, stageConfig({ host: null }), 3, at(5));
      expect(await store().stages.findByHost('a.example.com')).toBeUndefined();
      await store().stages.create(stageInput('p_shop', 'c', { host: 'a.example.com' }), at(6));
    });

    it('removes a stage with its live state, releases, deploys and their logs, and frees its name and host', async () => {
      await project();
      const stage = await store().stages.create(
        stageInput('p_shop', 'production', { host: 'shop.example.com' }),
        at(1),
      );
      const other = await store().stages.create(stageInput('p_shop', 'staging'), at(1));
      const release = await store().releases.create(releaseInput(stage.id, 'r1'), at(2));
      const otherRelease = await store().releases.create(releaseInput(other.id, 'r2'), at(2));
      await store().deploys.enqueue(deployInput('p_shop', stage.id, 'd1'), at(2), {
        supersedeAutomatic: false,
      });
      await store().deploys.finish('d1', 'succeeded', null, at(3));
      await store().deploys.enqueue(deployInput('p_shop', other.id, 'd2'), at(2), {
        supersedeAutomatic: false,
      });
      await store().live.set(liveOf(stage.id, release.id));
      await store().live.set(liveOf(other.id, otherRelease.id));
      const line = { ts: at(2), stream: 'deploy' as const, line: 'pulling' };
      await store().logs.append({ kind: 'deploy', id: 'd1' }, [line]);
      await store().logs.append({ kind: 'runtime', releaseId: 'r1' }, [line]);
      await store().logs.append({ kind: 'deploy', id: 'd2' }, [line]);
      await store().logs.append({ kind: 'runtime', releaseId: 'r2' }, [line]);

      expect(await store().stages.remove(stage.id)).toBe(true);
      expect(await store().stages.get(stage.id)).toBeUndefined();
      expect(await store().stages.findByHost('shop.example.com')).toBeUndefined();
      expect(await store().live.get(stage.id)).toBeUndefined();
      expect(await store().releases.get('r1')).toBeUndefined();
      expect(await store().releases.list(stage.id, 10)).toEqual([]);
      expect(await store().deploys.get('d1')).toBeUndefined();
      expect(await store().deploys.list({ stageId: stage.id, limit: 10 })).toEqual([]);
      expect(await store().logs.list({ kind: 'deploy', id: 'd1' }, 0, 10)).toEqual([]);
      expect(await store().logs.list({ kind: 'runtime', releaseId: 'r1' }, 0, 10)).toEqual([]);
      // The other stage keeps everything.
      expect(await store().live.get(other.id)).toBeDefined();
      expect(await store().releases.get('r2')).toBeDefined();
      expect(await store().deploys.get('d2')).toBeDefined();
      expect(await store().logs.list({ kind: 'deploy', id: 'd2' }, 0, 10)).toHaveLength(1);
      expect(await store().logs.list({ kind: 'runtime', releaseId: 'r2' }, 0, 10)).toHaveLength(1);
      // Name and host are free; a stage made again starts empty, its seqs from 1.
      const again = await store().stages.create(
        stageInput('p_shop', 'production', { host: 'shop.example.com' }),
        at(5),
      );
      expect(again.configRevision).toBe(1);
      expect((await store().releases.create(releaseInput(again.id, 'r3'), at(5))).seq).toBe(1);
      expect(await store().stages.remove('s_none')).toBe(false);
    });

    it('refuses to remove a stage while a deploy of it is queued or running', async () => {
      await project();
      const stage = await store().stages.create(stageInput('p_shop', 'production'), at(1));
      await store().deploys.enqueue(deployInput('p_shop', stage.id, 'd1'), at(2), {
        supersedeAutomatic: false,
      });
      expect(await thrown(store().stages.remove(stage.id))).toMatchObject({ code: 'deploy_stage_busy' });
      await store().deploys.claimNext(stage.id, 'replica-a', at(3));
      expect(await thrown(store().stages.remove(stage.id))).toMatchObject({ code: 'deploy_stage_busy' });
      expect(await store().deploys.get('d1')).toMatchObject({ status: 'running' });
      await store().deploys.finish('d1', 'failed', { step: 'pull', reason: 'no such tag' }, at(4));
      expect(await store().stages.remove(stage.id)).toBe(true);
    });

    concurrently(() => {
      it('gives a host to one of two stages taking it at once, on two replicas', async () => {
        await project();
        const other = await replica();
        const a = await store().stages.create(stageInput('p_shop', 'a'), at(1));
        const b = await store().stages.create(stageInput('p_shop', 'b'), at(1));
        const outcomes = await Promise.allSettled([
          store().stages.updateConfig(a.id, stageConfig({ host: 'x.example.com' }), 1, at(2)),
          other.stages.updateConfig(b.id, stageConfig({ host: 'X.example.com' }), 1, at(2)),
          other.stages.create(stageInput('p_shop', 'c', { host: 'x.EXAMPLE.com' }), at(2)),
        ]);
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected')
            expect(outcome.reason).toMatchObject({ code: 'deploy_host_taken' });
        const holder = await store().stages.findByHost('x.example.com');
        const routing = (await store().stages.list()).filter(
          (stage) => stage.config.host?.toLowerCase() === 'x.example.com',
        );
        expect(routing.map((stage) => stage.id)).toEqual([holder?.id]);
      });

      it('creates one of two projects with one name, and one of two stages with one name, on two replicas', async () => {
        const other = await replica();
        const projects = await Promise.allSettled([
          store().projects.create(projectInput('shop'), at(0)),
          other.projects.create(projectInput('shop', { id: 'p_twin' }), at(0)),
        ]);
        expect(projects.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        expect((await store().projects.list()).map((p) => p.name)).toEqual(['shop']);
        const owner = (await store().projects.getByName('shop'))?.id as string;
        const stages = await Promise.allSettled([
          store().stages.create({ ...stageInput(owner, 'production'), id: 's1' }, at(1)),
          other.stages.create({ ...stageInput(owner, 'production'), id: 's2' }, at(1)),
        ]);
        expect(stages.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        expect(await store().stages.list(owner)).toHaveLength(1);
      });

      it('accepts one of two configuration changes made at the same revision', async () => {
        await project();
        const other = await replica();
        const stage = await store().stages.create(stageInput('p_shop', 'production'), at(1));
        const outcomes = await Promise.allSettled([
          store().stages.updateConfig(stage.id, stageConfig({ watchMs: 1 }), 1, at(2)),
          other.stages.updateConfig(stage.id, stageConfig({ watchMs: 2 }), 1, at(2)),
        ]);
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.find((outcome) => outcome.status === 'rejected');
        expect(rejected?.status === 'rejected' && rejected.reason).toMatchObject({
          code: 'deploy_revision_conflict',
        });
        expect((await store().stages.get(stage.id))?.configRevision).toBe(2);
      });
    });
  });
}

export const liveOf = (
  stageId: string,
  releaseId: string,
  overrides: Partial<StageLive> = {},
): StageLive => ({
  stageId,
  releaseId,
  color: 'blue',
  containerId: `c-${releaseId}`,
  port: 41_001,
  since: at(2),
  previous: null,
  ...overrides,
});

export function liveContract({ store }: Subject): void {
  describe('live state', () => {
    it('sets, replaces, lists and clears a stage’s live state', async () => {
      await store().projects.create(projectInput('shop'), at(0));
      const a = await store().stages.create(stageInput('p_shop', 'a'), at(1));
      const b = await store().stages.create(stageInput('p_shop', 'b'), at(1));
      expect(await store().live.get(a.id)).toBeUndefined();
      await store().live.set(liveOf(a.id, 'r1'));
      const switched = liveOf(a.id, 'r2', {
        color: 'green',
        port: 41_002,
        since: at(3),
        previous: { releaseId: 'r1', color: 'blue', containerId: 'c-r1', port: 41_001, until: at(63) },
      });
      await store().live.set(switched);
      await store().live.set(liveOf(b.id, 'r9'));
      expect(await store().live.get(a.id)).toEqual(switched);
      expect((await store().live.list()).sort((x, y) => x.stageId.localeCompare(y.stageId))).toEqual([
        switched,
        liveOf(b.id, 'r9'),
      ]);
      await store().live.clear(a.id);
      expect(await store().live.get(a.id)).toBeUndefined();
      expect(await store().live.list()).toEqual([liveOf(b.id, 'r9')]);
      await store().live.clear(a.id);
    });

    it('refuses live state of an unknown stage', async () => {
      expect(await thrown(store().live.set(liveOf('s_none', 'r1')))).toMatchObject({
        code: 'deploy_store_not_found',
      });
    });
  });
}
