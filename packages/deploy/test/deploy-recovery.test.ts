// Recovery on a real dockerd and registry: a regression after the switch rolls back by itself; a running
// deploy is cancelled cleanly; a Homeport killed mid-deploy is reconciled at its next start; the recreate
// strategy stops the old color before starting the new one and brings it back when the new one fails.
// (SIGTERM with deploys running: deploy-shutdown.test.ts.)

import { pushTestImage, tempDir, until } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import type { DeployRecord } from '../src/model.js';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  startDeployHomeport,
  useDeployHomeport,
} from './support/deploy-homeport.js';
import {
  type Api,
  inHealthGate,
  requestDeploy as request,
  setUp,
  startDeployHomeportProcess,
  waitFinished,
} from './support/deploy-homeport-process.js';

let engine: Engine;
let h: DeployHomeport;

useDeployHomeport((started) => {
  ({ engine, h } = started);
});

/** The stage's containers as Docker has them: [running, version label of the release]. */
async function containersOf(projectName: string, stage: string) {
  return h.deploy.runtime.list({ project: projectName, stage });
}

describe('deploy recovery', () => {
  it('rolls back by itself when the new color regresses after the switch, and the old release serves again', async () => {
    const image = `${engine.registry.host}/regress/web`;
    await pushTestImage(engine.registry, { repository: 'regress/web', tag: 'v1', version: 'regress-v1' });
    // Healthy long enough to pass the gate and the switch, then its health path answers 404: inside the 6 s
    // watch, which starts well before 3 s after the container (the gate takes a few hundred ms here).
    await pushTestImage(engine.registry, {
      repository: 'regress/web',
      tag: 'v2',
      version: 'regress-v2',
      cmd: ['/bin/sh', '-c', 'httpd -f -p "127.0.0.1:$PORT" -h /www & sleep 3; rm -f /www/health; wait'],
    });
    await setUp(h.api, 'regress', { production: stageConfig(image, 'regress.test', { watchMs: 6_000 }) });
    const first = await h.finished(await request(h.api, 'regress', 'production', 'v1'));
    expect(first.status).toBe('succeeded');

    const second = await h.finished(await request(h.api, 'regress', 'production', 'v2'));
    expect(second.status, JSON.stringify(second)).toBe('rolled_back');
    expect(second.error?.step).toBe('watch');
    expect(second.error?.reason).toMatch(/failed health probes/);
    expect(second.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['switch', 'watch', 'rollback']));
    expect((await h.viaProxy('regress.test')).body).toContain('regress-v1');
    const status = await h.api('GET', '/projects/regress/stages/production/status');
    expect(status.json.live.releaseId).toBe(first.releaseId);
    expect(status.json.live.proxyTarget.release).toBe(first.releaseId);
    expect(status.json.live.container.running).toBe(true);
    // The regressed container is gone; the old one runs.
    const containers = await containersOf('regress', 'production');
    expect(containers.map((c) => [c.id, c.running])).toEqual([[status.json.live.containerId, true]]);
    // The regressed release never counts as successful: a plain rollback cannot pick it.
    const releases = (await h.api('GET', '/projects/regress/stages/production/releases')).json;
    expect(releases.find((r: { id: string }) => r.id === second.releaseId).succeededAt).toBeNull();
  }, 60_000);

  it('does not count failed probes inside the health start period as a regression', async () => {
    const image = `${engine.registry.host}/period/web`;
    await pushTestImage(engine.registry, { repository: 'period/web', tag: 'v1', version: 'period-v1' });
    // The same late failure as above, but the stage gives its app a 30 s start period: the watch sees it
    // fail inside that period and lets it be.
    await pushTestImage(engine.registry, {
      repository: 'period/web',
      tag: 'v2',
      version: 'period-v2',
      cmd: ['/bin/sh', '-c', 'httpd -f -p "127.0.0.1:$PORT" -h /www & sleep 3; rm -f /www/health; wait'],
    });
    const config = stageConfig(image, 'period.test', { watchMs: 6_000 });
    await setUp(h.api, 'period', {
      production: { ...config, health: { ...config.health, startPeriodMs: 30_000 } },
    });
    expect((await h.finished(await request(h.api, 'period', 'production', 'v1'))).status).toBe('succeeded');
    const second = await h.finished(await request(h.api, 'period', 'production', 'v2'));
    expect(second.status, JSON.stringify(second)).toBe('succeeded');
    expect((await h.viaProxy('period.test')).body).toContain('period-v2');
  }, 60_000);

  it('cancels a running deploy: the new container is removed and the old color keeps serving', async () => {
    const image = `${engine.registry.host}/cancel/web`;
    await pushTestImage(engine.registry, { repository: 'cancel/web', tag: 'v1', version: 'cancel-v1' });
    await pushTestImage(engine.registry, {
      repository: 'cancel/web',
      tag: 'v2',
      version: 'cancel-v2',
      variant: 'slow-start',
      startDelaySec: 60,
    });
    await setUp(h.api, 'cancel', {
      production: stageConfig(image, 'cancel.test', { deployTimeoutMs: 120_000 }),
    });
    expect((await h.finished(await request(h.api, 'cancel', 'production', 'v1'))).status).toBe('succeeded');
    const id = await request(h.api, 'cancel', 'production', 'v2');
    await waitDeploy(h.api, id, inHealthGate);
    expect(await containersOf('cancel', 'production')).toHaveLength(2);

    const asked = Date.now();
    const cancel = await h.api('POST', `/deploys/${id}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.json)).toBe(200);
    const done = await h.finished(id, 15_000);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(done.status, JSON.stringify(done)).toBe('cancelled');
    expect(done.error?.step).toBe('health');
    const containers = await containersOf('cancel', 'production');
    expect(containers.map((c) => c.running)).toEqual([true]);
    expect((await h.viaProxy('cancel.test')).body).toContain('cancel-v1');
    const logs = (await h.api('GET', `/deploys/${id}/logs`)).json
      .map((l: { line: string }) => l.line)
      .join('\n');
    expect(logs).toMatch(/removed the new container/);
    // Cancelling it again changes nothing.
    const again = await h.api('POST', `/deploys/${id}/cancel`);
    expect(again.status).toBe(200);
    expect(again.json.status).toBe('cancelled');
  }, 60_000);

  it('reconciles a deploy interrupted by a crash of Homeport at its next start: failed, no orphan, the old color serves', async () => {
    const dataDir = tempDir('homeport-crash-');
    const image = `${engine.registry.host}/crash/web`;
    await pushTestImage(engine.registry, { repository: 'crash/web', tag: 'v1', version: 'crash-v1' });
    await pushTestImage(engine.registry, {
      repository: 'crash/web',
      tag: 'v2',
      version: 'crash-v2',
      variant: 'slow-start',
      startDelaySec: 60,
    });
    const child = await startDeployHomeportProcess(engine, { dataDir });
    await setUp(child.api, 'crash', {
      production: stageConfig(image, 'crash.test', { deployTimeoutMs: 120_000 }),
    });
    const first = await waitFinished(child, await request(child.api, 'crash', 'production', 'v1'));
    expect(first.status).toBe('succeeded');
    const v1Container = (await child.api('GET', '/projects/crash/stages/production/status')).json.live
      .containerId;
    const id = await request(child.api, 'crash', 'production', 'v2');
    await child.waitDeploy(id, inHealthGate);
    // A crash: nothing of Homeport runs any more, its new container is left behind.
    await child.process.stop('SIGKILL');
    const left = await containersOf('crash', 'production');
    expect(left.filter((c) => c.running)).toHaveLength(2);

    const again = await startDeployHomeport(engine, { dataDir });
    try {
      const deploy = (await again.api('GET', `/deploys/${id}`)).json as DeployRecord;
      expect(deploy.status, JSON.stringify(deploy)).toBe('failed');
      expect(deploy.error?.step).toBe('health');
      expect(deploy.error?.reason).toMatch(/interrupted by a restart/);
      const containers = await again.deploy.runtime.list({ project: 'crash', stage: 'production' });
      expect(containers.map((c) => [c.id, c.running])).toEqual([[v1Container, true]]);
      expect(await liveContainer(again, 'crash')).toBe(v1Container);
      expect((await again.viaProxy('crash.test')).body).toContain('crash-v1');
      // The stage is free again: the next deploy runs.
      await pushTestImage(engine.registry, { repository: 'crash/web', tag: 'v3', version: 'crash-v3' });
      const next = await again.finished(await request(again.api, 'crash', 'production', 'v3'));
      expect(next.status, JSON.stringify(next)).toBe('succeeded');
      expect((await again.viaProxy('crash.test')).body).toContain('crash-v3');
    } finally {
      await again.close();
    }
  }, 60_000);

  it('recreate stops the old color before the new one starts, and brings it back when the new one fails', async () => {
    const image = `${engine.registry.host}/recreate/web`;
    await pushTestImage(engine.registry, { repository: 'recreate/web', tag: 'v1', version: 'recreate-v1' });
    await pushTestImage(engine.registry, { repository: 'recreate/web', tag: 'v2', version: 'recreate-v2' });
    await pushTestImage(engine.registry, {
      repository: 'recreate/web',
      tag: 'v3',
      version: 'recreate-v3',
      variant: 'unhealthy',
    });
    await setUp(h.api, 'recreate', {
      production: stageConfig(image, 'recreate.test', { strategy: 'recreate', deployTimeoutMs: 4_000 }),
    });
    const first = await h.finished(await request(h.api, 'recreate', 'production', 'v1'));
    expect(first.status).toBe('succeeded');
    const oldId = await liveContainer(h, 'recreate');

    const second = await h.finished(await request(h.api, 'recreate', 'production', 'v2'));
    expect(second.status, JSON.stringify(second)).toBe('succeeded');
    const names = second.steps.map((s) => s.name);
    expect(names.indexOf('stop_old')).toBeGreaterThan(-1);
    expect(names.indexOf('stop_old')).toBeLessThan(names.indexOf('start'));
    expect(names).not.toContain('drain');
    const newId = await liveContainer(h, 'recreate');
    const [oldState, newState] = [
      await h.deploy.runtime.inspect(oldId),
      await h.deploy.runtime.inspect(newId),
    ];
    expect(oldState?.running).toBe(false);
    expect(oldState?.finishedAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(newState?.startedAt ?? 0);
    expect((await h.viaProxy('recreate.test')).body).toContain('recreate-v2');

    const third = await h.finished(await request(h.api, 'recreate', 'production', 'v3'));
    expect(third.status, JSON.stringify(third)).toBe('failed');
    expect(third.error?.step).toBe('health');
    const logs = (await h.api('GET', `/deploys/${third.id}/logs`)).json
      .map((l: { line: string }) => l.line)
      .join('\n');
    expect(logs).toMatch(/restarted the old color/);
    expect(await liveContainer(h, 'recreate')).toBe(newId);
    expect((await h.deploy.runtime.inspect(newId))?.running).toBe(true);
    expect((await h.viaProxy('recreate.test')).body).toContain('recreate-v2');
    const running = (await containersOf('recreate', 'production')).filter((c) => c.running);
    expect(running.map((c) => c.id)).toEqual([newId]);
  }, 60_000);
});

async function waitDeploy(api: Api, id: string, done: (d: DeployRecord) => boolean): Promise<DeployRecord> {
  let record: DeployRecord | undefined;
  await until(
    async () => {
      record = (await api('GET', `/deploys/${id}`)).json as DeployRecord;
      return done(record);
    },
    30_000,
    50,
  );
  if (!record) throw new Error('no deploy');
  return record;
}

async function liveContainer(homeport: DeployHomeport, projectName: string, stage = 'production') {
  const status = await homeport.api('GET', `/projects/${projectName}/stages/${stage}/status`);
  return status.json.live.containerId as string;
}
