// The node repository on the KV port: `node.<id>` records changed only by compare-and-set, machine ids
// held unique by `machine.<machineId>` claims, and removal as a cascade through the node's inventory.

import { isConflict, type KvBucket, StoreError, withCasRetry } from '@homeport/core';
import type { Inventories } from './kv-inventory.js';
import { CAS_TRIES, compareText, mapBounded, part, readDoc } from './kv-support.js';
import type { NodeRecord, NodeRepository } from './repositories.js';
import { uniquenessConflict } from './store-errors.js';

const nodeKey = (nodeId: string) => `node.${part(nodeId)}`;
const machineKey = (machineId: string) => `machine.${part(machineId)}`;

/** Which node holds a machine id. */
interface MachineClaim {
  nodeId: string;
}

const NODE_FIELDS = ['id', 'machineId', 'displayName', 'createdAt', 'tokenHash'] as const;

/** The claim's revision, or TAKEN when a node that exists holds the machine id. */
const TAKEN = Symbol('taken');

export function kvNodeRepository(bucket: KvBucket, inventories: Inventories): NodeRepository {
  const read = (nodeId: string) => readDoc<NodeRecord>(bucket, nodeKey(nodeId), NODE_FIELDS);
  const readClaim = (machineId: string) => readDoc<MachineClaim>(bucket, machineKey(machineId), ['nodeId']);

  /**
   * Claims a machine id for a node being created. A claim whose node does not exist — one under way
   * elsewhere, or one a process left when it died — is taken over at its revision; the creator confirms
   * its claim at that same revision once its record is written, so of the two exactly one wins.
   */
  const claimMachine = async (machineId: string, nodeId: string): Promise<number | typeof TAKEN> => {
    try {
      return await bucket.create<MachineClaim>(machineKey(machineId), { nodeId });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const claim = await readClaim(machineId);
    // Released between the create and the read (a removal): the caller's retry creates it.
    if (claim === undefined)
      throw new StoreError('store_conflict', `machine claim ${machineId} changed meanwhile`);
    if (claim.value.nodeId === nodeId) return claim.revision;
    const holder = await read(claim.value.nodeId);
    if (holder !== undefined && holder.value.machineId === machineId) return TAKEN;
    return bucket.update<MachineClaim>(machineKey(machineId), { nodeId }, claim.revision);
  };

  /** Writes `change(node)` at the revision read, retried on conflict; an unknown node is left alone. */
  const change = (nodeId: string, apply: (node: NodeRecord) => NodeRecord) =>
    withCasRetry(async () => {
      const current = await read(nodeId);
      if (current === undefined) return;
      await bucket.update(nodeKey(nodeId), apply(current.value), current.revision);
    }, CAS_TRIES);

  /** Creates a node: the machine claim, the inventory, the record, then the claim confirmed. */
  const create = async (node: NodeRecord): Promise<'created' | typeof TAKEN> => {
    const claim = await claimMachine(node.machineId, node.id);
    if (claim === TAKEN) return TAKEN;
    await inventories.open(node.id);
    const created = await bucket.create(nodeKey(node.id), node);
    try {
      await bucket.update<MachineClaim>(machineKey(node.machineId), { nodeId: node.id }, claim);
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Another registration of this machine took the claim over first: this node never was.
      await bucket.delete(nodeKey(node.id), created);
      await inventories.discard(node.id);
      return TAKEN;
    }
    return 'created';
  };

  return {
    async byId(id) {
      return (await read(id))?.value;
    },

    async byMachineId(machineId) {
      const claim = await readClaim(machineId);
      if (claim === undefined) return undefined;
      const node = await read(claim.value.nodeId);
      return node?.value.machineId === machineId ? node.value : undefined;
    },

    async save(node) {
      const outcome = await withCasRetry(async () => {
        const current = await read(node.id);
        if (current === undefined) return create(node);
        const { machineId, createdAt } = current.value;
        await bucket.update(nodeKey(node.id), { ...node, machineId, createdAt }, current.revision);
        return 'updated';
      }, CAS_TRIES);
      if (outcome === TAKEN) {
        throw uniquenessConflict(
          'machineId',
          `Machine ${node.machineId} is already registered as another node`,
        );
      }
    },

    recordHeartbeat: (id, reportedStatus, at) =>
      change(id, (node) => ({ ...node, reportedStatus, lastSeenAt: at })),

    setStatus: (id, status) => change(id, (node) => ({ ...node, status })),

    async list() {
      const nodes = await mapBounded(await bucket.keys('node.'), async (key) => {
        return (await readDoc<NodeRecord>(bucket, key, NODE_FIELDS))?.value;
      });
      return nodes
        .filter((node) => node !== undefined)
        .sort((a, b) => compareText(a.displayName, b.displayName) || compareText(a.id, b.id));
    },

    async count() {
      return (await bucket.keys('node.')).length;
    },

    takeEnrolment: (id, hash) =>
      withCasRetry(async () => {
        const current = await read(id);
        if (current === undefined || current.value.enrolmentHash !== hash) return false;
        const taken = { ...current.value, enrolmentHash: null, enrolmentExpiresAt: null };
        await bucket.update(nodeKey(id), taken, current.revision);
        return true;
      }, CAS_TRIES),

    async remove(id) {
      const node = await read(id);
      // Exports first (no sync can add one once the inventory is closed), the node last: a removal cut
      // short leaves the node listed, and removing it again finishes the job.
      await inventories.close(id);
      await inventories.finish(id);
      const removed = await withCasRetry(async () => {
        const current = await read(id);
        if (current === undefined) return false;
        await bucket.delete(nodeKey(id), current.revision);
        return true;
      }, CAS_TRIES);
      if (node !== undefined) {
        await withCasRetry(async () => {
          const claim = await readClaim(node.value.machineId);
          if (claim?.value.nodeId === id)
            await bucket.delete(machineKey(node.value.machineId), claim.revision);
        }, CAS_TRIES);
      }
      await inventories.drop(id);
      return removed;
    },
  };
}
