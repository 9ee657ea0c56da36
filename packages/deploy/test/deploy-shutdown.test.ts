// SIGTERM with deploys running, on a real dockerd and registry and a Homeport in its own process (real signal
// handlers): it waits for two deploys on two stages within HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT, cancels them
// cleanly past that bound, and cancels cleanly before HOMEPORT_SHUTDOWN_TIMEOUT ends the process when that one
// is the shorter. Each outcome is read on Docker before a restart reconciles anything, then through the API.

import { pushTestImage, tempDir } from '@homeport/testkit';
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
  inHealthGate,
  requestDeploy as request,
  setUp,
  startDeployHomeportProcess,
  waitFinished,
} from './support/deploy-homeport-process.js';

let engine: Engine;
/** Only for its Docker client: the Homeports under test run in their own processes. */
let h: DeployHomeport;

useDeployHomeport((started) => {
  ({ engine, h } = started);
});

/** The stage's containers as Docker has them. */
async function containersOf(projectName: string, stage: string) {
  return h.deploy.runtime.list({ project: projectName, stage });
}

describe('deploy shutdown', () => {
  it('on SIGTERM waits for two running deploys on two stages, within its bound', async () => {
    const dataDir = tempDir('homeport-term-');
    await pushTestImage(engine.registry, { repository: 'term/web', tag: 'v1', version: 'term-v1' });
    await pushTestImage(engine.registry, {
      repository: 'term/web',
      tag: 'v2',
      version: 'term-v2',
      variant: 'slow-start',
      startDelaySec: 2,
    });
    const image = `${engine.registry.host}/term/web`;
    const child = await startDeployHomeportProcess(engine, {
      dataDir,
      env: { HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT: '20s', HOMEPORT_SHUTDOWN_TIMEOUT: '30s' },
    });
    await setUp(child.api, 'term', {
      one: stageConfig(image, 'one.term.test'),
      two: stageConfig(image, 'two.term.test'),
    });
    for (const stage of ['one', 'two'])
      expect((await waitFinished(child, await request(child.api, 'term', stage, 'v1'))).status).toBe(
        'succeeded',
      );
    const ids = [
      await request(child.api, 'term', 'one', 'v2'),
      await request(child.api, 'term', 'two', 'v2'),
    ];
    for (const id of ids) await child.waitDeploy(id, inHealthGate);

    const exit = await child.process.stop('SIGTERM', 30_000);
    expect(exit, child.process.output()).toEqual({ code: 0, signal: null });
    expect(child.process.stderr()).toContain('waiting for running deploys before shutting down');

    const again = await startDeployHomeport(engine, { dataDir });
    try {
      for (const id of ids) {
        const deploy = (await again.api('GET', `/deploys/${id}`)).json as DeployRecord;
        expect(deploy.status, JSON.stringify(deploy)).toBe('succeeded');
      }
      for (const host of ['one.term.test', 'two.term.test'])
        expect((await again.viaProxy(host)).body).toContain('term-v2');
      expect(again.t.logs.join('')).not.toContain('interrupted by a restart');
    } finally {
      await again.close();
    }
  }, 60_000);

  it('on SIGTERM past its bound cancels the two running deploys cleanly: new containers removed, old colors kept', async () => {
    const dataDir = tempDir('homeport-term-');
    await pushTestImage(engine.registry, { repository: 'cut/web', tag: 'v1', version: 'cut-v1' });
    await pushTestImage(engine.registry, {
      repository: 'cut/web',
      tag: 'v2',
      version: 'cut-v2',
      variant: 'slow-start',
      startDelaySec: 60,
    });
    const image = `${engine.registry.host}/cut/web`;
    const child = await startDeployHomeportProcess(engine, {
      dataDir,
      env: { HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT: '500ms' },
    });
    const config = { deployTimeoutMs: 120_000 };
    await setUp(child.api, 'cut', {
      one: stageConfig(image, 'one.cut.test', config),
      two: stageConfig(image, 'two.cut.test', config),
    });
    for (const stage of ['one', 'two'])
      expect((await waitFinished(child, await request(child.api, 'cut', stage, 'v1'))).status).toBe(
        'succeeded',
      );
    const ids = [await request(child.api, 'cut', 'one', 'v2'), await request(child.api, 'cut', 'two', 'v2')];
    for (const id of ids) await child.waitDeploy(id, inHealthGate);

    const asked = Date.now();
    const exit = await child.process.stop('SIGTERM', 15_000);
    expect(exit, child.process.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - asked).toBeLessThan(8_000);
    // Before anything reconciles: each stage has its old color running and nothing else.
    for (const stage of ['one', 'two']) {
      const containers = await containersOf('cut', stage);
      expect(
        containers.map((c) => c.running),
        stage,
      ).toEqual([true]);
    }

    const again = await startDeployHomeport(engine, { dataDir });
    try {
      for (const id of ids) {
        const deploy = (await again.api('GET', `/deploys/${id}`)).json as DeployRecord;
        expect(deploy.status, JSON.stringify(deploy)).toBe('cancelled');
        expect(deploy.error?.reason).toMatch(/shutting down/);
      }
      for (const host of ['one.cut.test', 'two.cut.test'])
        expect((await again.viaProxy(host)).body).toContain('cut-v1');
    } finally {
      await again.close();
    }
  }, 60_000);

  it('on SIGTERM with the default deploy bound beyond the process shutdown bound, cancels cleanly before the process bound ends', async () => {
    const dataDir = tempDir('homeport-term-');
    await pushTestImage(engine.registry, { repository: 'bound/web', tag: 'v1', version: 'bound-v1' });
    await pushTestImage(engine.registry, {
      repository: 'bound/web',
      tag: 'v2',
      version: 'bound-v2',
      variant: 'slow-start',
      startDelaySec: 60,
    });
    // HOMEPORT_DEPLOY_SHUTDOWN_TIMEOUT keeps its default (60 s); the whole shutdown may take 4 s.
    const child = await startDeployHomeportProcess(engine, {
      dataDir,
      env: { HOMEPORT_SHUTDOWN_TIMEOUT: '4s' },
    });
    await setUp(child.api, 'bound', {
      production: stageConfig(`${engine.registry.host}/bound/web`, 'bound.test', {
        deployTimeoutMs: 120_000,
      }),
    });
    expect((await waitFinished(child, await request(child.api, 'bound', 'production', 'v1'))).status).toBe(
      'succeeded',
    );
    const id = await request(child.api, 'bound', 'production', 'v2');
    await child.waitDeploy(id, inHealthGate);
    const exit = await child.process.stop('SIGTERM', 15_000);
    // Exit 1 would be the process bound cutting the shutdown short, with the deploy still running.
    expect(exit, child.process.stderr().slice(-3_000)).toEqual({ code: 0, signal: null });
    expect((await containersOf('bound', 'production')).map((c) => c.running)).toEqual([true]);
    const again = await startDeployHomeport(engine, { dataDir });
    try {
      const deploy = (await again.api('GET', `/deploys/${id}`)).json as DeployRecord;
      expect(deploy.status, JSON.stringify(deploy)).toBe('cancelled');
      expect((await again.viaProxy('bound.test')).body).toContain('bound-v1');
    } finally {
      await again.close();
    }
  }, 60_000);
});
