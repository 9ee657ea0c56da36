// Image garbage collection after a successful deploy: the images of the newest `keepReleases` successful
// releases stay, and so do the live release's and the rollback target's; older ones are removed from Docker.

import { pushTestImage, until } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  useDeployHomeport,
} from './support/deploy-homeport.js';

let engine: Engine;
let h: DeployHomeport;

useDeployHomeport((started) => {
  ({ engine, h } = started);
});

describe('image garbage collection', () => {
  it('keeps the newest successful releases, the live one and the rollback target, and removes older images', async () => {
    expect((await h.api('POST', '/projects', { name: 'gc' })).status).toBe(201);
    const image = `${engine.registry.host}/gc/web`;
    const pushed: Awaited<ReturnType<typeof pushTestImage>>[] = [];
    for (const tag of ['v1', 'v2', 'v3'])
      pushed.push(await pushTestImage(engine.registry, { repository: 'gc/web', tag, version: `gc-${tag}` }));
    expect(
      (
        await h.api('POST', '/projects/gc/stages', {
          name: 'web',
          config: stageConfig(image, 'gc.test', { keepReleases: 1 }),
        })
      ).status,
    ).toBe(201);
    for (const tag of ['v1', 'v2', 'v3']) {
      const queued = await h.api('POST', '/projects/gc/stages/web/deploys', { tag });
      expect((await h.finished(queued.json.id)).status).toBe('succeeded');
    }
    const reference = (i: number) => `${image}@${pushed[i]?.digest}`;
    await until(async () => !(await h.deploy.runtime.hasImage(reference(0))), 10_000);
    expect(await h.deploy.runtime.hasImage(reference(1))).toBe(true); // the rollback target (kept stopped)
    expect(await h.deploy.runtime.hasImage(reference(2))).toBe(true); // live
    // The rollback target still switches back.
    const back = await h.api('POST', '/projects/gc/stages/web/rollback', { digest: pushed[1]?.digest });
    expect((await h.finished(back.json.id)).status).toBe('succeeded');
    expect((await h.viaProxy('gc.test')).body).toContain('gc-v2');
  }, 120_000);
});
