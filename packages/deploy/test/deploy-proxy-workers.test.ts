// The deploy module with HOMEPORT_PROXY_WORKERS=2, in a Homeport process of its own on a real dockerd and
// registry: deploys switch through the workers (the deployer's check through the proxy passes on the first
// try, and every new connection afterwards reaches the new version), and a SIGKILLed Homeport leaves no proxy
// worker behind (they leave when their IPC pipe to it closes).

import { readdirSync, readFileSync } from 'node:fs';
import { pushTestImage, removeTempDirs, tempDir, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from './proxy-support.js';
import { alive } from './proxy-workers-support.js';
import { type Engine, stageConfig, startEngine } from './support/deploy-homeport.js';
import {
  requestDeploy,
  setUp,
  startDeployHomeportProcess,
  waitFinished,
} from './support/deploy-homeport-process.js';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  removeTempDirs();
}, 60_000);

/** Processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of stat is the parent pid; the name in field 2 may hold spaces, so split after its ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while the directory was read: not a child any more.
    }
  }
  return out;
}

describe('deploys through proxy workers', () => {
  it('switches every worker on each deploy, and the workers die with a killed Homeport', async () => {
    const image = `${engine.registry.host}/workers/web`;
    await pushTestImage(engine.registry, { repository: 'workers/web', tag: 'v1', version: 'workers-v1' });
    await pushTestImage(engine.registry, { repository: 'workers/web', tag: 'v2', version: 'workers-v2' });
    const child = await startDeployHomeportProcess(engine, {
      dataDir: tempDir('homeport-deploy-workers-'),
      env: { HOMEPORT_PROXY_WORKERS: '2' },
    });
    const workers = childrenOf(child.process.pid).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('proxy-worker'),
    );
    expect(workers).toHaveLength(2);
    await setUp(child.api, 'workers', { production: stageConfig(image, 'workers.test') });
    for (const version of ['v1', 'v2']) {
      const deploy = await waitFinished(
        child,
        await requestDeploy(child.api, 'workers', 'production', version),
      );
      expect(deploy.status, JSON.stringify(deploy)).toBe('succeeded');
      expect(deploy.steps.find((step) => step.name === 'verify')?.status).toBe('ok');
      const answers = await Promise.all(
        Array.from({ length: 16 }, () => send(child.proxyPort, 'workers.test')),
      );
      for (const answer of answers) expect(answer.body).toContain(`workers-${version}`);
    }
    await child.process.stop('SIGKILL');
    await until(() => workers.every((pid) => !alive(pid)));
  }, 120_000);
});
