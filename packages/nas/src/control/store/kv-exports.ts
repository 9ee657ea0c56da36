// The export repository on the KV port: inventory syncs, the importer's upsert and space updates, each
// committed on the node's inventory document (kv-inventory.ts) and then written to the export records.

import { type KvBucket, withCasRetry } from '@homeport/core';
import {
  type ExportDoc,
  exportKey,
  type Inventories,
  type Inventory,
  type InventoryEntry,
  inventoryKey,
  toExportDoc,
} from './kv-inventory.js';
import { CAS_TRIES, mapBounded, sha256 } from './kv-support.js';
import type { ExportRecord, ExportRepository, ExportSpace } from './repositories.js';
import { nodeMissing, requireUniqueInventory, uniquenessConflict } from './store-errors.js';

/** A unique value taken, found inside a compare-and-set attempt and thrown after it (not retried). */
type Clash = { clash: 'path' | 'mountPath'; nodeId: string };

const clashError = ({ clash, nodeId }: Clash) =>
  uniquenessConflict(clash, `Node ${nodeId} already has an export at this ${clash}`);

const sameSpace = (doc: ExportDoc, space: ExportSpace) =>
  doc.capacityBytes === space.capacityBytes &&
  doc.freeBytes === space.freeBytes &&
  doc.usedBytes === space.usedBytes;

export function kvExportRepository(
  nodes: KvBucket,
  exports: KvBucket,
  inventories: Inventories,
): ExportRepository {
  return {
    async replaceForNode(nodeId, inputs, newId, at) {
      requireUniqueInventory(nodeId, inputs);
      const digests = inputs.map((input) => sha256(input.path));
      // The commit: the node's whole membership and every mount path in one compare-and-set, so kept
      // exports may trade mount paths and a concurrent sync either comes wholly before or wholly after.
      const committed = await withCasRetry(async () => {
        const current = await inventories.read(nodeId);
        if (current === undefined || current.value.closed) {
          if (inputs.length === 0) return undefined;
          throw nodeMissing(nodeId);
        }
        const byPath = new Map(current.value.exports.map((entry) => [entry.path, entry]));
        const records: ExportRecord[] = inputs.map((input, i) => {
          const kept = byPath.get(digests[i] as string); // one digest per input
          return { ...input, id: kept?.id ?? newId(), nodeId, createdAt: kept?.createdAt ?? at };
        });
        const staying = new Set(records.map((record) => record.id));
        const next: Inventory = {
          ...current.value,
          generation: current.value.generation + 1,
          exports: records.map((record, i) => ({
            id: record.id,
            path: digests[i] as string, // one digest per input
            mountPath: record.mountPath,
            createdAt: record.createdAt,
          })),
          pending: [
            ...current.value.pending,
            ...current.value.exports.filter((entry) => !staying.has(entry.id)).map((entry) => entry.id),
          ],
        };
        await nodes.update(inventoryKey(nodeId), next, current.revision);
        return { records, generation: next.generation };
      }, CAS_TRIES);
      if (committed === undefined) return [];
      await mapBounded(committed.records, (record) =>
        inventories.writeExport(toExportDoc(record, committed.generation)),
      );
      await inventories.finish(nodeId);
      return committed.records;
    },

    async put(record) {
      // Leftovers of a removal go first, so an id the importer puts back does not inherit old grants.
      await inventories.finish(record.nodeId);
      const digest = sha256(record.path);
      const outcome = await withCasRetry(async (): Promise<Clash | ExportDoc> => {
        const existing = await inventories.readExport(record.id);
        const owner = existing && (await inventories.read(existing.value.nodeId));
        const member = owner?.value.exports.find((entry) => entry.id === record.id);
        if (existing && owner && member) {
          // An existing export keeps its node, path and createdAt; the rest is the record's.
          const { nodeId } = existing.value;
          const taken = owner.value.exports.some(
            (entry) => entry.id !== record.id && entry.mountPath === record.mountPath,
          );
          if (taken) return { clash: 'mountPath', nodeId };
          const next: Inventory = {
            ...owner.value,
            generation: owner.value.generation + 1,
            exports: owner.value.exports.map((entry) =>
              entry.id === record.id ? { ...entry, mountPath: record.mountPath } : entry,
            ),
          };
          await nodes.update(inventoryKey(nodeId), next, owner.revision);
          return toExportDoc({ ...record, nodeId, path: existing.value.path }, next.generation);
        }
        const current = await inventories.read(record.nodeId);
        if (current === undefined || current.value.closed) throw nodeMissing(record.nodeId);
        // The mount path first, as SQLite reports it first when a row breaks both.
        if (current.value.exports.some((entry) => entry.mountPath === record.mountPath))
          return { clash: 'mountPath', nodeId: record.nodeId };
        if (current.value.exports.some((entry) => entry.path === digest))
          return { clash: 'path', nodeId: record.nodeId };
        const entry: InventoryEntry = {
          id: record.id,
          path: digest,
          mountPath: record.mountPath,
          createdAt: record.createdAt,
        };
        const next: Inventory = {
          ...current.value,
          generation: current.value.generation + 1,
          exports: [...current.value.exports, entry],
          pending: current.value.pending.filter((id) => id !== record.id),
        };
        await nodes.update(inventoryKey(record.nodeId), next, current.revision);
        return toExportDoc(record, next.generation);
      }, CAS_TRIES);
      if ('clash' in outcome) throw clashError(outcome);
      await inventories.writeExport(outcome);
    },

    byId: (id) => inventories.exportOf(id),

    list: () => inventories.allExports(),

    listForNode: (nodeId) => inventories.exportsOf(nodeId),

    async updateSpace(nodeId, space) {
      const inventory = await inventories.read(nodeId);
      const members = new Set(inventory?.value.exports.map((entry) => entry.id));
      // Entries for one export apply in the order given (as SQL's updates did); different exports at once.
      const byExport = new Map<string, number[]>();
      space.forEach((entry, i) => {
        if (members.has(entry.exportId))
          byExport.set(entry.exportId, [...(byExport.get(entry.exportId) ?? []), i]);
      });
      const changed = new Set<number>();
      await mapBounded([...byExport.values()], async (indexes) => {
        for (const i of indexes) {
          const entry = space[i] as ExportSpace; // an index of `space`
          const wrote = await withCasRetry(async () => {
            const current = await inventories.readExport(entry.exportId);
            // Gone (removed meanwhile) stays gone: only an update at the revision read, never a create.
            if (current === undefined || current.value.nodeId !== nodeId || sameSpace(current.value, entry))
              return false;
            const { capacityBytes, freeBytes, usedBytes } = entry;
            const next: ExportDoc = { ...current.value, capacityBytes, freeBytes, usedBytes };
            await exports.update(exportKey(entry.exportId), next, current.revision);
            return true;
          }, CAS_TRIES);
          if (wrote) changed.add(i);
        }
      });
      return space.filter((_entry, i) => changed.has(i)).map((entry) => entry.exportId);
    },
  };
}
