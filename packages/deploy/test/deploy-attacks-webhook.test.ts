// The registry webhook against someone holding its token (a leaked token, a compromised registry): an
// envelope names a tag the stage takes but the digest of another image in the repository — one pushed under
// a tag the stage would never take. On a real dockerd and registry, through the whole deploy module.

import { randomUUID } from 'node:crypto';
import { pushTestImage, until } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../src/model.js';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  startDeployHomeport,
  startEngine,
} from './support/deploy-homeport.js';

let engine: Engine;
let h: DeployHomeport;

beforeAll(async () => {
  engine = await startEngine();
  h = await startDeployHomeport(engine);
}, 120_000);

afterAll(async () => {
  await h?.close();
  await engine?.stop();
}, 60_000);

function pushEvent(repository: string, tag: string, digest: string) {
  const registry = engine.registry.host;
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    action: 'push',
    target: {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest,
      repository,
      url: `http://${registry}/v2/${repository}/manifests/${digest}`,
      tag,
    },
    request: { host: registry },
  };
}

async function postEnvelope(events: unknown[]) {
  const response = await fetch(`${h.url}/api/v1/deploy/webhooks/registry`, {
    method: 'POST',
    headers: {
      'content-type': 'application/vnd.docker.distribution.events.v1+json',
      authorization: `Bearer ${h.deploy.webhookToken()}`,
    },
    body: JSON.stringify({ events }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('a forged registry notification', () => {
  it('deploys only the digest the tag points at in the registry, not the one the envelope names', async () => {
    const good = await pushTestImage(engine.registry, { repository: 'forged/web', tag: 'v1', version: 'v1' });
    const other = await pushTestImage(engine.registry, {
      repository: 'forged/web',
      tag: 'debug-shell',
      version: 'debug',
    });
    expect((await h.api('POST', '/projects', { name: 'forged' })).status).toBe(201);
    const created = await h.api('POST', '/projects/forged/stages', {
      name: 'production',
      config: stageConfig(`${engine.registry.host}/forged/web`, null, {
        tagPattern: { kind: 'regex', value: 'v[0-9]+' },
      }),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    // The forged event first, then a true one: once the true one is queued, the forged one was handled.
    expect(
      await postEnvelope([
        pushEvent('forged/web', 'v1', other.digest),
        pushEvent('forged/web', 'v1', good.digest),
      ]),
    ).toBe(202);
    let deploys: DeployRecord[] = [];
    await until(
      async () => {
        deploys = (await h.api('GET', '/projects/forged/stages/production/deploys')).json;
        return deploys.some((d) => d.digest === good.digest);
      },
      30_000,
      100,
    );
    expect(deploys.map((d) => d.digest)).not.toContain(other.digest);
    const finished = await h.finished(deploys.find((d) => d.digest === good.digest)?.id ?? '');
    expect(finished.status).toBe('succeeded');
  });

  it('asks an anonymous sender for the token before it reads (or judges) the body', async () => {
    for (const [type, body] of [
      ['application/vnd.docker.distribution.events.v1+json', '{"events": ['],
      ['application/json', '{"events": ['],
      ['application/json', JSON.stringify({ events: 'x'.repeat(900_000) })],
    ] as const) {
      const response = await fetch(`${h.url}/api/v1/deploy/webhooks/registry`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: 'Bearer wrong-token' },
        body,
      });
      await response.arrayBuffer();
      expect(response.status).toBe(401);
    }
  });
});
