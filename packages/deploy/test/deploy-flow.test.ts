// The deploy flow end to end on a real dockerd and registry: first deploy, blue-green under a constant
// stream of requests through the proxy with zero failures, a failing health gate leaving the old color
// serving, rollback by digest after the tag was re-pushed, and secrets that never reach a log or an answer.

import { Agent, request } from 'node:http';
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

async function project(name: string) {
  const created = await h.api('POST', '/projects', { name });
  expect(created.status).toBe(201);
}

async function deployTag(projectName: string, stage: string, tag: string) {
  const queued = await h.api('POST', `/projects/${projectName}/stages/${stage}/deploys`, { tag });
  expect(queued.status, JSON.stringify(queued.json)).toBe(202);
  return h.finished(queued.json.id);
}

/** Sends GET / through the proxy back to back on keep-alive connections until stopped; counts answers. */
function loadLoop(port: number, host: string, connections = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let running = true;
  const seen = new Map<string, number>();
  const failures: string[] = [];
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString().trim();
          if (res.statusCode !== 200) failures.push(`${res.statusCode}: ${body.slice(0, 80)}`);
          else seen.set(body, (seen.get(body) ?? 0) + 1);
          resolve();
        });
        res.on('error', (err) => {
          failures.push(err.message);
          resolve();
        });
      });
      req.on('error', (err) => {
        failures.push(err.message);
        resolve();
      });
      req.end();
    });
  const loops = Array.from({ length: connections }, async () => {
    while (running) await one();
  });
  return {
    seen,
    failures,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

describe('deploy flow', () => {
  it('deploys a tag by its digest, serves it through the proxy and reports what runs', async () => {
    await project('shop');
    const image = `${engine.registry.host}/shop/web`;
    const v1 = await pushTestImage(engine.registry, {
      repository: 'shop/web',
      tag: 'v1',
      version: 'shop-v1',
    });
    const stage = await h.api('POST', '/projects/shop/stages', {
      name: 'production',
      config: stageConfig(image, 'shop.test'),
    });
    expect(stage.status, JSON.stringify(stage.json)).toBe(201);

    const deploy = await deployTag('shop', 'production', 'v1');
    expect(deploy.status, JSON.stringify(deploy)).toBe('succeeded');
    expect(deploy.digest).toBe(v1.digest);
    expect(deploy.steps.map((s) => s.name)).toEqual([
      'resolve',
      'pull',
      'start',
      'health',
      'switch',
      'verify',
      'watch',
    ]);
    expect((await h.viaProxy('shop.test')).body).toContain('shop-v1');

    const status = await h.api('GET', '/projects/shop/stages/production/status');
    expect(status.json.live.digest).toBe(v1.digest);
    expect(status.json.live.container.running).toBe(true);
    expect(status.json.live.container.imageDigest).toBe(v1.digest);
    expect(status.json.live.proxyTarget.release).toBe(status.json.live.releaseId);

    // The live container stopped outside a deploy is drift: an event, and the status says so.
    const drifts: { kind: string; stage: string }[] = [];
    const unsubscribe = h.t.homeport.events.subscribe(['deploy.deploys'], (event) => {
      if (event.type === 'stage.drift') drifts.push(event.data as { kind: string; stage: string });
    });
    await h.deploy.runtime.stop(status.json.live.containerId, 1);
    await until(() => drifts.some((d) => d.kind === 'exited' && d.stage === 'production'), 10_000);
    unsubscribe();
    const after = await h.api('GET', '/projects/shop/stages/production/status');
    expect(after.json.live.container.running).toBe(false);
    await h.deploy.runtime.start(status.json.live.containerId);
  }, 120_000);

  it('switches blue to green under a constant stream of requests with zero failures', async () => {
    await project('flow');
    const image = `${engine.registry.host}/flow/web`;
    await pushTestImage(engine.registry, { repository: 'flow/web', tag: 'v1', version: 'flow-v1' });
    await pushTestImage(engine.registry, { repository: 'flow/web', tag: 'v2', version: 'flow-v2' });
    await h.api('POST', '/projects/flow/stages', {
      name: 'production',
      config: stageConfig(image, 'flow.test'),
    });
    expect((await deployTag('flow', 'production', 'v1')).status).toBe('succeeded');

    const port = h.deploy.proxyPort() ?? 0;
    const load = loadLoop(port, 'flow.test');
    const second = await deployTag('flow', 'production', 'v2');
    // Requests after the deploy finished all reach v2; the loop keeps going a moment to show it.
    const before = load.seen.get('flow-v2') ?? 0;
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();
    expect(second.status, JSON.stringify(second)).toBe('succeeded');
    expect(second.steps.map((s) => s.name)).toContain('drain');
    expect(load.failures).toEqual([]);
    expect(load.seen.get('flow-v1') ?? 0).toBeGreaterThan(0);
    expect(load.seen.get('flow-v2') ?? 0).toBeGreaterThan(before);
    // The old color is stopped, kept for the grace window.
    const containers = await h.deploy.runtime.list({ project: 'flow', stage: 'production' });
    expect(containers.filter((c) => c.running)).toHaveLength(1);
    expect(containers).toHaveLength(2);
  }, 120_000);

  it('keeps the old color serving when the new one fails its health check, and removes the new container', async () => {
    await project('gate');
    const image = `${engine.registry.host}/gate/web`;
    await pushTestImage(engine.registry, { repository: 'gate/web', tag: 'v1', version: 'gate-v1' });
    await pushTestImage(engine.registry, {
      repository: 'gate/web',
      tag: 'v2',
      version: 'gate-v2',
      variant: 'unhealthy',
    });
    await h.api('POST', '/projects/gate/stages', {
      name: 'production',
      config: stageConfig(image, 'gate.test', { deployTimeoutMs: 4_000 }),
    });
    expect((await deployTag('gate', 'production', 'v1')).status).toBe('succeeded');
    const failed = await deployTag('gate', 'production', 'v2');
    expect(failed.status).toBe('failed');
    expect(failed.error?.step).toBe('health');
    expect(failed.error?.reason).toMatch(/HTTP 404/);
    expect((await h.viaProxy('gate.test')).body).toContain('gate-v1');
    const containers = await h.deploy.runtime.list({ project: 'gate', stage: 'production' });
    expect(containers.map((c) => c.running)).toEqual([true]);
    const logs = await h.api('GET', `/deploys/${failed.id}/logs`);
    expect(logs.json.map((l: { line: string }) => l.line).join('\n')).toMatch(/removed the new container/);
  }, 120_000);

  it('rolls back by digest to the release that ran, after its tag was pushed again with other content', async () => {
    await project('back');
    const image = `${engine.registry.host}/back/web`;
    const first = await pushTestImage(engine.registry, {
      repository: 'back/web',
      tag: 'stable',
      version: 'back-1',
    });
    await h.api('POST', '/projects/back/stages', {
      name: 'production',
      config: stageConfig(image, 'back.test'),
    });
    expect((await deployTag('back', 'production', 'stable')).status).toBe('succeeded');
    const second = await pushTestImage(engine.registry, {
      repository: 'back/web',
      tag: 'stable',
      version: 'back-2',
    });
    expect(second.digest).not.toBe(first.digest);
    expect((await deployTag('back', 'production', 'stable')).status).toBe('succeeded');
    expect((await h.viaProxy('back.test')).body).toContain('back-2');

    const rollback = await h.api('POST', '/projects/back/stages/production/rollback', {
      digest: first.digest,
    });
    expect(rollback.status, JSON.stringify(rollback.json)).toBe(202);
    const done = await h.finished(rollback.json.id);
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    expect(done.digest).toBe(first.digest);
    expect((await h.viaProxy('back.test')).body).toContain('back-1');
    const unknown = await h.api('POST', '/projects/back/stages/production/rollback', {
      digest: `sha256:${'0'.repeat(64)}`,
    });
    expect(unknown.status).toBe(404);
  }, 120_000);

  it('never shows a secret env value: not in the API, the deploy log, the container output or events', async () => {
    await project('vault');
    const image = `${engine.registry.host}/vault/web`;
    await pushTestImage(engine.registry, { repository: 'vault/web', tag: 'v1', version: 'vault-v1' });
    const secret = 'sk-live-7f3a9c1e5b2d4f60';
    const created = await h.api('POST', '/projects/vault/stages', {
      name: 'production',
      config: stageConfig(image, 'vault.test', {
        env: [
          { name: 'API_TOKEN', value: secret, secret: true },
          { name: 'MODE', value: 'plain' },
        ],
        command: [
          '/bin/sh',
          '-c',
          'echo "token=$API_TOKEN mode=$MODE" >&2; exec httpd -f -p 127.0.0.1:{port} -h /www',
        ],
      }),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(JSON.stringify(created.json)).not.toContain(secret);
    const deploy = await deployTag('vault', 'production', 'v1');
    expect(deploy.status, JSON.stringify(deploy)).toBe('succeeded');

    const runtimeLog = async () =>
      (await h.api('GET', `/releases/${deploy.releaseId}/logs`)).json
        .map((l: { line: string }) => l.line)
        .join('\n');
    let output = '';
    for (let i = 0; i < 50 && !output.includes('token='); i++) {
      output = await runtimeLog();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain('token=******** mode=plain');
    const answers = [
      await h.api('GET', '/projects/vault/stages/production'),
      await h.api('GET', '/projects/vault/stages/production/releases'),
      await h.api('GET', `/deploys/${deploy.id}`),
      await h.api('GET', `/deploys/${deploy.id}/logs`),
      await h.api('GET', '/projects/vault/stages/production/status'),
    ];
    for (const answer of answers) expect(JSON.stringify(answer.json)).not.toContain(secret);
    expect(h.t.logs.join('\n')).not.toContain(secret);
    // An update that leaves the secret's value out keeps it (write-only); the app still gets it.
    const stage = await h.api('GET', '/projects/vault/stages/production');
    const updated = await h.api('PUT', '/projects/vault/stages/production', {
      revision: stage.json.configRevision,
      config: {
        env: [
          { name: 'API_TOKEN', secret: true },
          { name: 'MODE', value: 'changed' },
        ],
      },
    });
    expect(updated.status, JSON.stringify(updated.json)).toBe(200);
    expect(updated.json.deploy.trigger).toBe('config');
    const redeploy = await h.finished(updated.json.deploy.id);
    expect(redeploy.status, JSON.stringify(redeploy)).toBe('succeeded');
    expect(redeploy.releaseId).not.toBe(deploy.releaseId);
    let newOutput = '';
    for (let i = 0; i < 50 && !newOutput.includes('mode=changed'); i++) {
      newOutput = (await h.api('GET', `/releases/${redeploy.releaseId}/logs`)).json
        .map((l: { line: string }) => l.line)
        .join('\n');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(newOutput).toContain('token=******** mode=changed');
    expect(h.t.logs.join('\n')).not.toContain(secret);
  }, 120_000);
});
