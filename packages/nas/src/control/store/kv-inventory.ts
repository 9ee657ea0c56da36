// A node's inventory on the KV port: one document per node naming its exports (id, path digest, mount
// path, createdAt) — the compare-and-set commit point of every change to which exports a node has and
// where they are mounted — and the export records beside it, written after each commit.

import { type KvBucket, type KvEntry, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, mapBounded, part, readDoc } from './kv-support.js';
import type { ExportRecord } from './repositories.js';

/** One export of a node, as its inventory holds it: what uniqueness and identity depend on. */
export interface InventoryEntry {
  id: string;
  /** SHA-256 of the export's path (paths run to 4 KiB; the document must stay small). */
  path: string;
  mountPath: string;
  createdAt: string;
}

export interface Inventory {
  nodeId: string;
  /** Bumped by every commit; an export record written under an older one never overwrites a newer one. */
  generation: number;
  exports: InventoryEntry[];
  /** Removed exports whose records and grants may still exist: whoever writes the inventory next ends them. */
  pending: string[];
  /** The node is being removed: no export may join it any more. */
  closed: boolean;
}

/** The fields of an export kept outside the inventory (its `mountPath` and `createdAt` live in it). */
export interface ExportDoc {
  id: string;
  nodeId: string;
  label: string;
  path: string;
  protocols: string[];
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
  tags: string[];
  /** The inventory generation this was written under (space updates keep it). */
  generation: number;
}

export const inventoryKey = (nodeId: string) => `inventory.${part(nodeId)}`;
export const exportKey = (exportId: string) => `export.${part(exportId)}`;

const INVENTORY_FIELDS = ['nodeId', 'generation', 'exports', 'pending', 'closed'] as const;
const EXPORT_FIELDS = ['id', 'nodeId', 'label', 'path', 'generation'] as const;

export const toExportRecord = (doc: ExportDoc, entry: InventoryEntry): ExportRecord => ({
  id: doc.id,
  nodeId: doc.nodeId,
  label: doc.label,
  path: doc.path,
  mountPath: entry.mountPath,
  protocols: doc.protocols,
  capacityBytes: doc.capacityBytes,
  freeBytes: doc.freeBytes,
  usedBytes: doc.usedBytes,
  tags: doc.tags,
  createdAt: entry.createdAt,
});

export const toExportDoc = (record: ExportRecord, generation: number): ExportDoc => ({
  id: record.id,
  nodeId: record.nodeId,
  label: record.label,
  path: record.path,
  protocols: record.protocols,
  capacityBytes: record.capacityBytes,
  freeBytes: record.freeBytes,
  usedBytes: record.usedBytes,
  tags: record.tags,
  generation,
});

export interface InventoryOptions {
  /** The bucket with `inventory.<node>` (beside the nodes). */
  nodes: KvBucket;
  /** The bucket with `export.<id>`. */
  exports: KvBucket;
  /** Deletes every grant on an export (the cascade SQL did with ON DELETE CASCADE). */
  deleteGrantsOf: (exportId: string) => Promise<void>;
}

export type Inventories = ReturnType<typeof createInventories>;

/** The members an inventory names, each with the node it names them for. */
const membersOf = (entry: KvEntry<Inventory> | undefined) =>
  entry?.value.exports.map((item) => ({ nodeId: entry.value.nodeId, item })) ?? [];

export function createInventories(options: InventoryOptions) {
  const { nodes, exports } = options;

  const read = (nodeId: string) => readDoc<Inventory>(nodes, inventoryKey(nodeId), INVENTORY_FIELDS);
  const readExport = (exportId: string) => readDoc<ExportDoc>(exports, exportKey(exportId), EXPORT_FIELDS);

  /** The records of inventory members, by label then id; a member without its record is left out. */
  const recordsOf = async (members: readonly { nodeId: string; item: InventoryEntry }[]) => {
    const found = await mapBounded(members, async ({ nodeId, item }) => {
      const record = await readExport(item.id);
      // A member whose record a sync cut short never wrote is not shown until the next sync writes it.
      return record !== undefined && record.value.nodeId === nodeId
        ? toExportRecord(record.value, item)
        : undefined;
    });
    return found
      .filter((record) => record !== undefined)
      .sort((a, b) => compareText(a.label, b.label) || compareText(a.id, b.id));
  };

  /** Deletes an export's record unless it belongs to another node by now. */
  const deleteRecord = (exportId: string, nodeId: string) =>
    withCasRetry(async () => {
      const record = await readExport(exportId);
      if (record === undefined || record.value.nodeId !== nodeId) return;
      await exports.delete(exportKey(exportId), record.revision);
    }, CAS_TRIES);

  /** Ends what removed exports left (records, grants), then strikes them from `pending`. */
  const finish = async (nodeId: string): Promise<void> => {
    const current = await read(nodeId);
    if (current === undefined || current.value.pending.length === 0) return;
    const members = new Set(current.value.exports.map((entry) => entry.id));
    await mapBounded(
      current.value.pending.filter((id) => !members.has(id)),
      async (exportId) => {
        await deleteRecord(exportId, nodeId);
        await options.deleteGrantsOf(exportId);
      },
    );
    const ended = new Set(current.value.pending);
    await withCasRetry(async () => {
      const latest = await read(nodeId);
      if (latest === undefined) return;
      const pending = latest.value.pending.filter((id) => !ended.has(id));
      if (pending.length === latest.value.pending.length) return;
      await nodes.update(inventoryKey(nodeId), { ...latest.value, pending }, latest.revision);
    }, CAS_TRIES);
  };

  /** Deletes the inventory when `done` says its job is over, at the revision it judged. */
  const deleteWhen = (nodeId: string, done: (inventory: Inventory) => boolean) =>
    withCasRetry(async () => {
      const current = await read(nodeId);
      if (current === undefined || !done(current.value)) return;
      await nodes.delete(inventoryKey(nodeId), current.revision);
    }, CAS_TRIES);

  return {
    read,
    readExport,
    finish,

    /**
     * Gives a node about to be created an open, empty inventory, before its record exists, so a node is
     * never without one. A closed one (a node with this id removed before, its removal cut short) is
     * finished and reopened.
     */
    async open(nodeId: string): Promise<void> {
      if ((await read(nodeId))?.value.closed) await finish(nodeId);
      await withCasRetry(async () => {
        const current = await read(nodeId);
        const fresh = (generation: number): Inventory => ({
          nodeId,
          generation,
          exports: [],
          pending: [],
          closed: false,
        });
        if (current === undefined) await nodes.create(inventoryKey(nodeId), fresh(0));
        else if (current.value.closed)
          await nodes.update(inventoryKey(nodeId), fresh(current.value.generation + 1), current.revision);
      }, CAS_TRIES);
    },

    /** Closes a node's inventory for its removal: every export becomes pending, none may join. */
    close: (nodeId: string) =>
      withCasRetry(async () => {
        const current = await read(nodeId);
        if (current === undefined || current.value.closed) return;
        const { value } = current;
        const next: Inventory = {
          ...value,
          generation: value.generation + 1,
          exports: [],
          pending: [...value.pending, ...value.exports.map((entry) => entry.id)],
          closed: true,
        };
        await nodes.update(inventoryKey(nodeId), next, current.revision);
      }, CAS_TRIES),

    /** The last step of a removal: the closed, finished inventory goes (a reopened one stays). */
    drop: (nodeId: string) =>
      deleteWhen(nodeId, (inventory) => inventory.closed && inventory.pending.length === 0),

    /** Takes back the empty inventory of a node whose creation lost a race. */
    discard: (nodeId: string) =>
      deleteWhen(
        nodeId,
        (inventory) => !inventory.closed && inventory.exports.length === 0 && inventory.pending.length === 0,
      ),

    /**
     * Writes an export's record after its inventory committed. A record already written under a newer
     * generation of the same node stays (a later sync won); one of another node is a leftover and goes.
     */
    writeExport: (doc: ExportDoc) =>
      withCasRetry(async () => {
        const current = await readExport(doc.id);
        if (current === undefined) {
          await exports.create(exportKey(doc.id), doc);
          return;
        }
        if (current.value.nodeId === doc.nodeId && current.value.generation > doc.generation) return;
        await exports.update(exportKey(doc.id), doc, current.revision);
      }, CAS_TRIES),

    /** An export as the repositories show it: only a member of its node's inventory exists. */
    async exportOf(exportId: string): Promise<ExportRecord | undefined> {
      const record = await readExport(exportId);
      if (record === undefined) return undefined;
      const entry = (await read(record.value.nodeId))?.value.exports.find((item) => item.id === exportId);
      return entry && toExportRecord(record.value, entry);
    },

    /** Every export of every node: the inventories, then the records they name. */
    async allExports(): Promise<ExportRecord[]> {
      const inventories = await mapBounded(await nodes.keys('inventory.'), async (key) =>
        membersOf(await readDoc<Inventory>(nodes, key, INVENTORY_FIELDS)),
      );
      return recordsOf(inventories.flat());
    },

    /** One node's exports: its inventory, then the records it names (not every inventory of the fleet). */
    exportsOf: async (nodeId: string): Promise<ExportRecord[]> => recordsOf(membersOf(await read(nodeId))),
  };
}
