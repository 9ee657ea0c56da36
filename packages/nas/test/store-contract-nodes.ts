// Contract of NodeRepository: machine ids unique, partial updates that lose nothing under concurrency,
// single-use re-enrolment, ordering, and removal as a cascade.

import { StoreError } from '@homeport/core';
import { describe, expect, it } from 'vitest';
import type { NasStore } from '../src/control/store/repositories.js';
import type { Concurrently } from './store-contract.js';
import {
  AWKWARD_IDS,
  credentialRecord,
  exportInput,
  idSequence,
  nodeRecord,
  settle,
  thrown,
} from './store-contract-fixtures.js';

export function nodeContract(store: () => NasStore, concurrently: Concurrently): void {
  describe('nodes', () => {
    it('finds a saved node by id and by machine id, and counts it', async () => {
      const node = nodeRecord();
      await store().nodes.save(node);
      expect(await store().nodes.byId(node.id)).toEqual(node);
      expect(await store().nodes.byMachineId(node.machineId)).toEqual(node);
      expect(await store().nodes.byId('node_nobody')).toBeUndefined();
      expect(await store().nodes.byMachineId('machine-nobody')).toBeUndefined();
      expect(await store().nodes.count()).toBe(1);
    });

    it('keeps id, machine id and createdAt when a node is saved again, and replaces the rest', async () => {
      const node = nodeRecord();
      await store().nodes.save(node);
      const again = nodeRecord({
        id: node.id,
        machineId: 'machine-elsewhere',
        createdAt: '2030-01-01T00:00:00.000Z',
        displayName: 'Renamed',
        keyId: 2,
        enrolmentHash: 'cd'.repeat(32),
        enrolmentExpiresAt: 99,
      });
      await store().nodes.save(again);
      expect(await store().nodes.byId(node.id)).toEqual({
        ...again,
        machineId: node.machineId,
        createdAt: node.createdAt,
      });
      expect(await store().nodes.byMachineId('machine-elsewhere')).toBeUndefined();
      expect(await store().nodes.count()).toBe(1);
    });

    it('refuses a new node whose machine id another node holds, with the named conflict', async () => {
      const first = nodeRecord();
      await store().nodes.save(first);
      const error = await thrown(store().nodes.save(nodeRecord({ machineId: first.machineId })));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'store_conflict', details: { field: 'machineId' } });
      expect(await store().nodes.count()).toBe(1);
      expect((await store().nodes.byMachineId(first.machineId))?.id).toBe(first.id);
    });

    it('records a heartbeat and a status without touching any other field; unknown ids are no-ops', async () => {
      const node = nodeRecord({ status: 'offline', reportedStatus: 'online', lastSeenAt: 1 });
      await store().nodes.save(node);
      await store().nodes.recordHeartbeat(node.id, 'degraded', 5_000);
      await store().nodes.setStatus(node.id, 'online');
      expect(await store().nodes.byId(node.id)).toEqual({
        ...node,
        reportedStatus: 'degraded',
        lastSeenAt: 5_000,
        status: 'online',
      });
      await store().nodes.recordHeartbeat('node_nobody', 'online', 1);
      await store().nodes.setStatus('node_nobody', 'online');
      expect(await store().nodes.count()).toBe(1);
    });

    it('lists nodes by display name then id, in code point order as SQLite BINARY compares', async () => {
      const names = ['beta', 'Beta', 'alpha', '\u{1F600} emoji', '\uFF21 fullwidth', 'same', 'same'];
      const ids = ['n7', 'n6', 'n5', 'n4', 'n3', 'n2', 'n1'];
      for (const [i, displayName] of names.entries())
        await store().nodes.save(nodeRecord({ id: ids[i] as string, displayName }));
      expect((await store().nodes.list()).map((node) => `${node.displayName}/${node.id}`)).toEqual([
        'Beta/n6',
        'alpha/n5',
        'beta/n7',
        'same/n1',
        'same/n2',
        '\uFF21 fullwidth/n3',
        '\u{1F600} emoji/n4',
      ]);
      expect(await store().nodes.count()).toBe(7);
    });

    it('takes a re-enrolment token once: only while it still is the stored hash', async () => {
      const node = nodeRecord({ enrolmentHash: 'e1'.repeat(32), enrolmentExpiresAt: 9_999 });
      await store().nodes.save(node);
      expect(await store().nodes.takeEnrolment(node.id, 'ff'.repeat(32))).toBe(false);
      expect(await store().nodes.takeEnrolment('node_nobody', 'e1'.repeat(32))).toBe(false);
      expect(await store().nodes.takeEnrolment(node.id, 'e1'.repeat(32))).toBe(true);
      expect(await store().nodes.byId(node.id)).toEqual({
        ...node,
        enrolmentHash: null,
        enrolmentExpiresAt: null,
      });
      expect(await store().nodes.takeEnrolment(node.id, 'e1'.repeat(32))).toBe(false);
    });

    it('removes a node with its exports and their grants, frees its machine id, and keeps credentials', async () => {
      const node = nodeRecord();
      const other = nodeRecord();
      await store().nodes.save(node);
      await store().nodes.save(other);
      const [a, b] = await store().exports.replaceForNode(
        node.id,
        [exportInput('a'), exportInput('b')],
        idSequence('exp_n'),
        '2026-01-03T00:00:00.000Z',
      );
      const [kept] = await store().exports.replaceForNode(
        other.id,
        [exportInput('c')],
        idSequence('exp_o'),
        '2026-01-03T00:00:00.000Z',
      );
      if (!a || !b || !kept) throw new Error('exports were not created');
      const grant = {
        userId: 'user_ann',
        access: 'read-write' as const,
        createdAt: '2026-01-04T00:00:00.000Z',
      };
      await store().grants.put({ ...grant, exportId: a.id });
      await store().grants.put({ ...grant, exportId: b.id });
      await store().grants.put({ ...grant, exportId: kept.id });
      const credential = credentialRecord({ nodeId: node.id, exportId: a.id });
      await store().credentials.create(credential);

      expect(await store().nodes.remove(node.id)).toBe(true);
      expect(await store().nodes.byId(node.id)).toBeUndefined();
      expect(await store().nodes.byMachineId(node.machineId)).toBeUndefined();
      expect(await store().exports.byId(a.id)).toBeUndefined();
      expect((await store().exports.list()).map((record) => record.id)).toEqual([kept.id]);
      expect(await store().grants.find(a.id, 'user_ann')).toBeUndefined();
      expect(await store().grants.listForExport(b.id)).toEqual([]);
      expect((await store().grants.listForUser('user_ann')).map((g) => g.exportId)).toEqual([kept.id]);
      expect(await store().credentials.byUsername(credential.username)).toEqual(credential);
      expect(await store().nodes.count()).toBe(1);
      expect(await store().nodes.remove(node.id)).toBe(false);

      // The machine may join afresh, and its new node starts without exports.
      const rejoined = nodeRecord({ machineId: node.machineId });
      await store().nodes.save(rejoined);
      expect((await store().nodes.byMachineId(node.machineId))?.id).toBe(rejoined.id);
      expect(await store().exports.replaceForNode(rejoined.id, [], idSequence(), 'now')).toEqual([]);
    });

    it('takes any text as an id or machine id (dots, wildcards, spaces, non-ASCII, very long)', async () => {
      for (const text of AWKWARD_IDS) {
        const node = nodeRecord({ id: `id:${text}`, machineId: `machine:${text}` });
        await store().nodes.save(node);
        expect(await store().nodes.byId(node.id)).toEqual(node);
        expect(await store().nodes.byMachineId(node.machineId)).toEqual(node);
      }
      expect(await store().nodes.byId('id:a')).toBeUndefined();
      expect(await store().nodes.byId('id:a.*')).toBeUndefined();
      expect(await store().nodes.count()).toBe(AWKWARD_IDS.length);
      for (const text of AWKWARD_IDS) expect(await store().nodes.remove(`id:${text}`)).toBe(true);
      expect(await store().nodes.list()).toEqual([]);
    });

    concurrently(() => {
      it('lets exactly one of two concurrent registrations of one machine win', async () => {
        for (let round = 0; round < 5; round++) {
          const machineId = `machine-race-${round}`;
          const a = nodeRecord({ machineId });
          const b = nodeRecord({ machineId });
          const { fulfilled, rejected } = await settle([store().nodes.save(a), store().nodes.save(b)]);
          expect(fulfilled).toHaveLength(1);
          expect(rejected).toHaveLength(1);
          expect(rejected[0]).toMatchObject({ code: 'store_conflict' });
          const holder = await store().nodes.byMachineId(machineId);
          expect([a.id, b.id]).toContain(holder?.id);
          const loser = holder?.id === a.id ? b : a;
          expect(await store().nodes.byId(loser.id)).toBeUndefined();
        }
        expect(await store().nodes.count()).toBe(5);
      });

      it('loses no field when heartbeats, status changes and a registration race (compare-and-set retried)', async () => {
        const node = nodeRecord();
        await store().nodes.save(node);
        for (let round = 1; round <= 10; round++) {
          const at = 10_000 + round;
          const status = round % 2 === 0 ? 'degraded' : 'online';
          await Promise.all([
            store().nodes.recordHeartbeat(node.id, 'online', at),
            store().nodes.recordHeartbeat(node.id, 'online', at),
            store().nodes.setStatus(node.id, status),
            store().nodes.setStatus(node.id, status),
          ]);
          const after = await store().nodes.byId(node.id);
          // Each partial update wrote different fields: neither may have put back the other's old values.
          expect(after).toMatchObject({ lastSeenAt: at, status });
        }
        // A registration's fields survive heartbeats sent while it was saved.
        for (let round = 1; round <= 5; round++) {
          const saved = {
            ...node,
            displayName: `Renamed ${round}`,
            agentVersion: `2.${round}.0`,
            lastSeenAt: 1,
          };
          await Promise.all([
            store().nodes.recordHeartbeat(node.id, 'online', 20_000 + round),
            store().nodes.save(saved),
            store().nodes.setStatus(node.id, 'online'),
          ]);
          expect(await store().nodes.byId(node.id)).toMatchObject({
            displayName: saved.displayName,
            agentVersion: saved.agentVersion,
          });
        }
      });

      it('lets exactly one of two concurrent takers of one re-enrolment token win', async () => {
        const node = nodeRecord();
        await store().nodes.save(node);
        for (let round = 0; round < 5; round++) {
          const hash = `${round}`.repeat(64);
          await store().nodes.save({ ...node, enrolmentHash: hash, enrolmentExpiresAt: 9_999 });
          const results = await Promise.all([
            store().nodes.takeEnrolment(node.id, hash),
            store().nodes.takeEnrolment(node.id, hash),
            store().nodes.recordHeartbeat(node.id, 'online', round),
          ]);
          expect(results.slice(0, 2).filter(Boolean)).toHaveLength(1);
          expect((await store().nodes.byId(node.id))?.enrolmentHash).toBeNull();
        }
      });

      it('reports one of two concurrent removals of a node as the one that removed it', async () => {
        const node = nodeRecord();
        await store().nodes.save(node);
        const results = await Promise.all([store().nodes.remove(node.id), store().nodes.remove(node.id)]);
        expect(results.sort()).toEqual([false, true]);
        expect(await store().nodes.count()).toBe(0);
      });
    });
  });
}
