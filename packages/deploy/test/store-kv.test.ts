// The deploy store on JetStream KV, one real nats-server (R1): the contract suite, then what only a store
// without transactions has to show — a claim or a finish that died half-way blocks no stage for good,
// listings read only what they return, and a store that stops answering fails every call within its bound.

import { createJetStreamKv, StoreError } from '@homeport/core';
import { dyingKv, interceptedKv, type KvMethod } from '@homeport/core/testing';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WEBHOOK_CLAIM_RETENTION_MS } from '../src/store/kv-logs.js';
import { createKvDeployStore } from '../src/store/kv-store.js';
import { INDEX_GRACE_MS } from '../src/store/kv-support.js';
import type { DeployStore } from '../src/store/repositories.js';
import { describeDeployStoreContract } from './store-contract.js';
import {
  at,
  CONTRACT_OPTIONS,
  deployInput,
  projectInput,
  stageConfig,
  stageInput,
  thrown,
} from './store-contract-fixtures.js';
import { freshKvStore, type KvUnderTest, natsClient } from './store-kv-support.js';

let server: NatsServerInstance;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await natsClient(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describeDeployStoreContract('JetStream KV, one server (R1)', () => freshKvStore(nc, server.url, 1));

describe('deploy store on KV: operations cut short, and what listings read', () => {
  let subject: KvUnderTest;
  let store: DeployStore;
  let stageId: string;
  beforeEach(async () => {
    subject = await freshKvStore(nc, server.url, 1);
    store = subject.store;
    await store.projects.create(projectInput('shop'), at(0));
    stageId = (await store.stages.create(stageInput('p_shop', 'a', { host: 'shop.example.com' }), at(0))).id;
  });
  afterEach(() => subject.close());

  /** The same buckets, through a port that dies after `writes` writes. */
  const dying = (writes: number) => createKvDeployStore(dyingKv(subject.kv, writes), CONTRACT_OPTIONS);
  const enqueue = (id: string, minute: number) =>
    store.deploys.enqueue(deployInput('p_shop', stageId, id), at(minute), { supersedeAutomatic: false });

  it('finishes a claim whose claimer died after taking the slot, for that claimer, and holds the stage meanwhile', async () => {
    await enqueue('d1', 1);
    await enqueue('d2', 1);
    // Writes of a claim: the slot, then the deploy (where it dies).
    expect(String(await thrown((await dying(1)).deploys.claimNext(stageId, 'replica-dead', at(2))))).toMatch(
      /died/,
    );
    expect(await store.deploys.get('d1')).toMatchObject({ status: 'queued' });
    // The next claim finds the slot naming a queued deploy: it makes it running for the dead claimer.
    expect(await store.deploys.claimNext(stageId, 'replica-b', at(3))).toBeUndefined();
    expect(await store.deploys.get('d1')).toMatchObject({
      status: 'running',
      runner: 'replica-dead',
      startedAt: at(2),
    });
    expect(await store.deploys.claimNext(stageId, 'replica-b', at(4))).toBeUndefined();
    // Its runner (restarted) finishes it; the stage is free.
    await store.deploys.finish('d1', 'failed', { step: 'resolve', reason: 'runner restarted' }, at(5));
    expect(await store.deploys.claimNext(stageId, 'replica-b', at(6))).toMatchObject({
      id: 'd2',
      runner: 'replica-b',
    });
  });

  it('frees a stage whose finish died before releasing the slot', async () => {
    await enqueue('d1', 1);
    await enqueue('d2', 1);
    await store.deploys.claimNext(stageId, 'replica-a', at(2));
    // Writes of a finish: the deploy, then its active key (where it dies), then the slot.
    expect(String(await thrown((await dying(1)).deploys.finish('d1', 'succeeded', null, at(3))))).toMatch(
      /died/,
    );
    expect(await store.deploys.get('d1')).toMatchObject({ status: 'succeeded' });
    expect(await store.deploys.claimNext(stageId, 'replica-b', at(4))).toMatchObject({ id: 'd2' });
    expect(await store.deploys.stagesWithQueued()).toEqual([]);
  });

  it('lets a host held by a stage creation that died be taken once the grace has passed', async () => {
    // Writes of a stage creation: its name key, its host key, then its membership key (where it dies).
    const dead = await dying(2);
    expect(
      String(await thrown(dead.stages.create(stageInput('p_shop', 'b', { host: 'b.example.com' }), at(1)))),
    ).toMatch(/died/);
    expect(await store.stages.findByHost('b.example.com')).toBeUndefined();
    expect(
      await thrown(store.stages.create(stageInput('p_shop', 'c', { host: 'b.example.com' }), at(1))),
    ).toMatchObject({ code: 'deploy_host_taken' });
    const later = new Date(Date.parse(at(1)) + INDEX_GRACE_MS).toISOString();
    await store.stages.create(stageInput('p_shop', 'c', { host: 'b.example.com' }), later);
    await store.stages.create(stageInput('p_shop', 'b'), later);
    expect((await store.stages.findByHost('b.example.com'))?.name).toBe('c');
  });

  it('finishes a stage removal cut short at the next removal', async () => {
    await enqueue('d1', 1);
    await store.deploys.finish('d1', 'succeeded', null, at(2));
    await store.logs.append({ kind: 'deploy', id: 'd1' }, [{ ts: at(1), stream: 'deploy', line: 'x' }]);
    // The mark, then the first clean-up write dies.
    expect(String(await thrown((await dying(1)).stages.remove(stageId)))).toMatch(/died/);
    expect(await store.stages.get(stageId)).toBeUndefined();
    expect(await store.stages.list()).toEqual([]);
    expect(await store.stages.remove(stageId)).toBe(true);
    expect(await store.deploys.get('d1')).toBeUndefined();
    expect(await store.logs.list({ kind: 'deploy', id: 'd1' }, 0, 10)).toEqual([]);
    const left = await Promise.all(
      ['stages', 'deploys', 'logs'].map(async (name) => (await subject.kv.bucket(name)).keys()),
    );
    expect(left.flat()).toEqual([]);
    await store.stages.create(stageInput('p_shop', 'a', { host: 'shop.example.com' }), at(3));
  });

  it('reads a stage’s newest deploys and a log page without reading the rest of the history', async () => {
    for (let i = 1; i <= 40; i++) await enqueue(`d${i}`, i);
    for (let i = 1; i <= 40; i++) await store.deploys.finish(`d${i}`, 'succeeded', null, at(50));
    const log = { kind: 'runtime', releaseId: 'r1' } as const;
    // A bound above the chunk size (200 lines), so the log is sealed chunks and a tail.
    const logOptions = { ...CONTRACT_OPTIONS, maxRuntimeLogLines: 1_000 };
    const logStore = await createKvDeployStore(subject.kv, logOptions);
    for (let i = 0; i < 5; i++)
      await logStore.logs.append(
        log,
        Array.from({ length: 100 }, (_, j) => ({
          ts: at(i),
          stream: 'stdout' as const,
          line: `l${i * 100 + j}`,
        })),
      );
    const calls: [string, KvMethod, string | undefined][] = [];
    const watched = await createKvDeployStore(
      interceptedKv(subject.kv, (bucket, method, key) => {
        calls.push([bucket, method, key]);
      }),
      logOptions,
    );
    const page = await watched.deploys.list({ stageId, limit: 5 });
    expect(page.map((deploy) => deploy.seq)).toEqual([40, 39, 38, 37, 36]);
    // The counter, then a seq key and a document per deploy returned; no listing of keys.
    expect(calls.filter(([, method]) => method === 'keys')).toEqual([]);
    expect(calls.filter(([, method]) => method === 'get')).toHaveLength(1 + 2 * 5);

    calls.length = 0;
    const lines = await watched.logs.list(log, 390, 10);
    expect(lines.map((line) => line.line)).toEqual(Array.from({ length: 10 }, (_, i) => `l${390 + i}`));
    // The head and the one sealed chunk holding seqs 201–400.
    expect(calls.filter(([, method]) => method === 'get')).toHaveLength(2);
    calls.length = 0;
    expect((await watched.logs.list(log, 195, 10)).map((line) => line.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => 196 + i),
    );
    expect(calls.filter(([, method]) => method === 'get')).toHaveLength(3);
    expect(calls.filter(([, method]) => method === 'keys')).toEqual([]);
  });

  it('keeps webhook claims in a bucket that forgets them after a week at most', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`KV_${subject.module}_webhooks`);
    expect(info.config.max_age).toBe(WEBHOOK_CLAIM_RETENTION_MS * 1_000_000);
    expect(
      String(await thrown(store.webhookEvents.claim('e', at(0), WEBHOOK_CLAIM_RETENTION_MS + 1))),
    ).toMatch(/ttl/);
  });
});

describe('deploy store on KV: a store that stops answering', () => {
  it('fails every call with store_unavailable within its bound', async () => {
    const own = await startNatsServer();
    const client = await natsClient(own.url);
    try {
      const kv = createJetStreamKv({
        kvm: new Kvm(client),
        module: 'deploydown',
        replicas: 1,
        timeoutMs: 500,
      });
      const store = await createKvDeployStore(kv);
      await store.projects.create(projectInput('shop'), at(0));
      await own.stop();
      const calls: [string, () => Promise<unknown>][] = [
        ['projects.get', () => store.projects.get('p_shop')],
        ['projects.list', () => store.projects.list()],
        ['projects.create', () => store.projects.create(projectInput('blog'), at(1))],
        ['stages.create', () => store.stages.create(stageInput('p_shop', 'a'), at(1))],
        ['stages.findByHost', () => store.stages.findByHost('shop.example.com')],
        ['stages.updateConfig', () => store.stages.updateConfig('s1', stageConfig(), 1, at(1))],
        ['live.list', () => store.live.list()],
        ['releases.list', () => store.releases.list('s1', 5)],
        [
          'deploys.enqueue',
          () => store.deploys.enqueue(deployInput('p_shop', 's1', 'd1'), at(1), { supersedeAutomatic: true }),
        ],
        ['deploys.claimNext', () => store.deploys.claimNext('s1', 'r', at(1))],
        ['deploys.list', () => store.deploys.list({ limit: 5 })],
        ['deploys.stagesWithQueued', () => store.deploys.stagesWithQueued()],
        [
          'logs.append',
          () => store.logs.append({ kind: 'deploy', id: 'd1' }, [{ ts: at(1), stream: 'deploy', line: 'x' }]),
        ],
        ['logs.list', () => store.logs.list({ kind: 'deploy', id: 'd1' }, 0, 5)],
        ['webhookEvents.claim', () => store.webhookEvents.claim('e1', at(1), 60_000)],
      ];
      const outcomes = await Promise.all(
        calls.map(async ([name, call]) => {
          const started = Date.now();
          const error = await thrown(call());
          return { name, error, ms: Date.now() - started };
        }),
      );
      for (const { name, error, ms } of outcomes) {
        expect(error, name).toBeInstanceOf(StoreError);
        expect(error, name).toMatchObject({ code: 'store_unavailable' });
        // Each fails at its first call: 500 ms, twice that for a listing; 2 s is the bound with room to spare.
        expect(ms, name).toBeLessThan(2_000);
      }
    } finally {
      await client.close();
      await own.stop();
    }
  });
});
