// The NAS store on JetStream KV, one real nats-server (R1): the contract suite, then what only a store
// without transactions has to show — a process dying half-way leaves a state the next write finishes, an
// older writer held back never overwrites a newer one, and a store that stops answering fails every call.

import { createJetStreamKv, StoreError } from '@homeport/core';
import { dyingKv, gatedWrites } from '@homeport/core/testing';
import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKvNasStore } from '../src/control/store/kv-store.js';
import type { NasStore } from '../src/control/store/repositories.js';
import { describeNasStoreContract } from './store-contract.js';
import { credentialRecord, exportInput, idSequence, nodeRecord, thrown } from './store-contract-fixtures.js';
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

describeNasStoreContract('JetStream KV, one server (R1)', () => freshKvStore(nc, 1));

const AT = '2026-01-03T00:00:00.000Z';
const grant = (exportId: string) => ({
  exportId,
  userId: 'user_ann',
  access: 'read-only' as const,
  createdAt: AT,
});

describe('NAS store on KV: operations cut short, and writers held back', () => {
  let subject: KvUnderTest;
  let store: NasStore;
  beforeEach(async () => {
    subject = await freshKvStore(nc, 1);
    store = subject.store;
  });
  afterEach(() => subject.close());

  /** The same buckets, through a port that dies after `writes` writes. */
  const dying = (writes: number) => createKvNasStore(dyingKv(subject.kv, writes));
  const keysOf = async (bucket: string) => (await subject.kv.bucket(bucket)).keys();

  it('converges on the next sync when a sync dies right after its commit', async () => {
    const node = nodeRecord();
    await store.nodes.save(node);
    const [a, b] = await store.exports.replaceForNode(
      node.id,
      [exportInput('a'), exportInput('b')],
      idSequence('one'),
      AT,
    );
    if (!a || !b) throw new Error('not created');
    await store.grants.put(grant(b.id));
    const inventory = [exportInput('a', { label: 'A again', mountPath: '/m/moved/' }), exportInput('c')];

    const error = await thrown(
      (await dying(1)).exports.replaceForNode(node.id, inventory, idSequence('two'), AT),
    );
    expect(String(error)).toMatch(/died/);
    // Committed: who is a member, and where it is mounted; not yet: the other fields, the new record.
    expect(await store.exports.list()).toEqual([{ ...a, mountPath: '/m/moved/' }]);
    expect(await store.exports.byId(b.id)).toBeUndefined();

    const records = await store.exports.replaceForNode(node.id, inventory, idSequence('three'), AT);
    expect(records[0]).toEqual({ ...inventory[0], id: a.id, nodeId: node.id, createdAt: a.createdAt });
    expect(await store.exports.list()).toEqual([records[0], records[1]]);
    expect(await store.grants.find(b.id, 'user_ann')).toBeUndefined();
    expect(await keysOf('grants')).toEqual([]);
    expect((await keysOf('exports')).sort()).toHaveLength(2);
  });

  it('finishes a node removal cut short when the node is removed again, leaving no key behind', async () => {
    const node = nodeRecord();
    await store.nodes.save(node);
    const [a] = await store.exports.replaceForNode(node.id, [exportInput('a')], idSequence(), AT);
    if (!a) throw new Error('not created');
    await store.grants.put(grant(a.id));

    expect(String(await thrown((await dying(1)).nodes.remove(node.id)))).toMatch(/died/);
    expect(await store.nodes.byId(node.id)).toEqual(node);
    expect(await store.exports.list()).toEqual([]);
    // A sync meanwhile cannot bring exports back to a node being removed.
    expect(
      await thrown(store.exports.replaceForNode(node.id, [exportInput('b')], idSequence(), AT)),
    ).toMatchObject({
      code: 'node_not_found',
    });

    expect(await store.nodes.remove(node.id)).toBe(true);
    expect(await store.nodes.byMachineId(node.machineId)).toBeUndefined();
    for (const bucket of ['nodes', 'exports', 'grants']) expect(await keysOf(bucket)).toEqual([]);
  });

  it('lets a machine register when a registration died after claiming its machine id', async () => {
    const first = nodeRecord();
    expect(String(await thrown((await dying(1)).nodes.save(first)))).toMatch(/died/);
    expect(await store.nodes.byMachineId(first.machineId)).toBeUndefined();
    const second = nodeRecord({ machineId: first.machineId });
    await store.nodes.save(second);
    expect((await store.nodes.byMachineId(first.machineId))?.id).toBe(second.id);

    // Died after writing the node, before confirming its claim: the node stands, as one whose answer was lost.
    const third = nodeRecord();
    expect(String(await thrown((await dying(3)).nodes.save(third)))).toMatch(/died/);
    expect(await store.nodes.byMachineId(third.machineId)).toEqual(third);
    expect(await thrown(store.nodes.save(nodeRecord({ machineId: third.machineId })))).toMatchObject({
      code: 'store_conflict',
    });
  });

  it('announces revocations a call marked but never announced with the next revocation matching them', async () => {
    const one = credentialRecord();
    const two = credentialRecord();
    await store.credentials.create(one);
    await store.credentials.create(two);
    expect(
      String(await thrown((await dying(2)).credentials.revoke({ userId: 'user_ann' }, AT, 1_000))),
    ).toMatch(/died/);
    expect(await store.credentials.revokedForNode(one.nodeId, 1_000)).toEqual(
      [one.username, two.username].sort(),
    );
    expect(await store.credentials.revocationVersion()).toBe(0);
    expect(await store.credentials.revoke({ userId: 'user_ann' }, AT, 1_000)).toBe(0);
    expect(await store.credentials.revocationVersion()).toBe(1);
    expect(await store.credentials.revoke({ userId: 'user_ann' }, AT, 1_000)).toBe(0);
    expect(await store.credentials.revocationVersion()).toBe(1);
  });

  it('stores nothing when a credential dies after its index keys, and the sweep removes them', async () => {
    const credential = credentialRecord({ expiresAt: 1_500 });
    expect(String(await thrown((await dying(4)).credentials.create(credential)))).toMatch(/died/);
    expect(await store.credentials.byUsername(credential.username)).toBeUndefined();
    expect(await store.credentials.countActive('user_ann', 1_000)).toBe(0);
    expect(await store.credentials.revoke({ userId: 'user_ann' }, AT, 1_000)).toBe(0);
    expect(await keysOf('credentials')).toHaveLength(4);
    expect(await store.credentials.deleteExpired(1_500)).toBe(0);
    expect(await keysOf('credentials')).toEqual([]);
  });

  it('never lets a sync held back overwrite the records of a later sync', async () => {
    const node = nodeRecord();
    await store.nodes.save(node);
    const [a] = await store.exports.replaceForNode(node.id, [exportInput('a')], idSequence(), AT);
    const held = gatedWrites(subject.kv, 'exports');
    const slow = await createKvNasStore(held.kv);
    const older = slow.exports.replaceForNode(
      node.id,
      [exportInput('a', { label: 'older' })],
      idSequence(),
      AT,
    );
    await held.entered; // committed, its record writes waiting
    await store.exports.replaceForNode(node.id, [exportInput('a', { label: 'newer' })], idSequence(), AT);
    held.open();
    await older;
    expect(await store.exports.byId(a?.id ?? '')).toMatchObject({ label: 'newer' });
  });

  it('takes back a grant written after its export’s removal cleared the grants', async () => {
    const node = nodeRecord();
    await store.nodes.save(node);
    const [a] = await store.exports.replaceForNode(node.id, [exportInput('a')], idSequence(), AT);
    if (!a) throw new Error('not created');
    const held = gatedWrites(subject.kv, 'grants');
    const slow = await createKvNasStore(held.kv);
    const granting = thrown(slow.grants.put(grant(a.id)));
    await held.entered; // the export was there when the grant was checked
    await store.exports.replaceForNode(node.id, [], idSequence(), AT);
    held.open();
    expect(await granting).toMatchObject({ code: 'export_not_found' });
    expect(await store.grants.find(a.id, 'user_ann')).toBeUndefined();
    expect(await keysOf('grants')).toEqual([]);
  });
});

describe('NAS store on KV: a store that stops answering', () => {
  it('fails every call with store_unavailable within its bound, and answers none from a default', async () => {
    const kv = createJetStreamKv({ kvm: new Kvm(nc), module: 'nasdown', replicas: 1, timeoutMs: 500 });
    const store = await createKvNasStore(kv);
    const node = nodeRecord();
    await store.nodes.save(node);
    await server.stop();
    const calls: [string, () => Promise<unknown>][] = [
      ['nodes.byId', () => store.nodes.byId(node.id)],
      ['nodes.list', () => store.nodes.list()],
      ['exports.byId', () => store.exports.byId('exp_a')],
      ['grants.find', () => store.grants.find('exp_a', 'user_ann')],
      ['grants.listForUser', () => store.grants.listForUser('user_ann')],
      ['credentials.revocationVersion', () => store.credentials.revocationVersion()],
      ['credentials.revoke', () => store.credentials.revoke({ userId: 'user_ann' }, AT, 1)],
      ['settings.get', () => store.settings.get('defaultAccess')],
    ];
    for (const [name, call] of calls) {
      const started = Date.now();
      const error = await thrown(call());
      expect(error, name).toBeInstanceOf(StoreError);
      expect(error, name).toMatchObject({ code: 'store_unavailable' });
      expect(Date.now() - started, name).toBeLessThan(2_000);
    }
  });
});
