// The deploy module on the JetStream KV store (a real nats-server): the same deploy path as on SQLite — a
// stage created, two deploys, the second switching colors — with state, queue claims and logs in the buckets.

import { type NatsServerInstance, pushTestImage, startNatsServer } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  startDeployHomeport,
  startEngine,
} from './support/deploy-homeport.js';

let engine: Engine;
let nats: NatsServerInstance;
let h: DeployHomeport;

beforeAll(async () => {
  [engine, nats] = await Promise.all([startEngine(), startNatsServer()]);
  h = await startDeployHomeport(engine, { store: 'kv', natsUrl: nats.url });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([engine?.stop(), nats?.stop()]);
}, 60_000);

describe('deploys on the KV store', () => {
  it('deploys, switches colors and keeps the logs in the buckets', async () => {
    expect((await h.api('POST', '/projects', { name: 'kv' })).status).toBe(201);
    const image = `${engine.registry.host}/kv/web`;
    await pushTestImage(engine.registry, { repository: 'kv/web', tag: 'v1', version: 'kv-v1' });
    await pushTestImage(engine.registry, { repository: 'kv/web', tag: 'v2', version: 'kv-v2' });
    expect(
      (await h.api('POST', '/projects/kv/stages', { name: 'web', config: stageConfig(image, 'kv.test') }))
        .status,
    ).toBe(201);
    for (const tag of ['v1', 'v2']) {
      const queued = await h.api('POST', '/projects/kv/stages/web/deploys', { tag });
      const done = await h.finished(queued.json.id);
      expect(done.status, JSON.stringify(done)).toBe('succeeded');
      expect((await h.viaProxy('kv.test')).body).toContain(`kv-${tag}`);
    }
    const history = await h.api('GET', '/projects/kv/stages/web/deploys');
    expect(history.json.map((d: { status: string; color: string }) => `${d.status}:${d.color}`)).toEqual([
      'succeeded:green',
      'succeeded:blue',
    ]);
    const logs = await h.api('GET', `/deploys/${history.json[0].id}/logs`);
    expect(logs.json.map((l: { line: string }) => l.line).join('\n')).toMatch(/deploy succeeded/);
  }, 120_000);
});
