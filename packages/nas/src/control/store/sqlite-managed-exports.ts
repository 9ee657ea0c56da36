// SQLite implementation of the managed-export repository (contract in repositories.ts): one JSON document
// per node, read and replaced in one transaction.

import type { SqliteDatabase } from '@homeport/core';
import type { ManagedExportRepository, ManagedExportsDoc } from './repositories.js';

const EMPTY: ManagedExportsDoc = { roots: [], exports: [] };

export function sqliteManagedExportRepository(db: SqliteDatabase): ManagedExportRepository {
  const read = db.prepare<[string], { doc: string }>('SELECT doc FROM nas_managed_exports WHERE node_id = ?');
  const write = db.prepare(
    'INSERT INTO nas_managed_exports (node_id, doc) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET doc = excluded.doc',
  );
  const remove = db.prepare('DELETE FROM nas_managed_exports WHERE node_id = ?');
  // Written by this repository only.
  const docOf = (nodeId: string): ManagedExportsDoc => {
    const row = read.get(nodeId);
    return row ? (JSON.parse(row.doc) as ManagedExportsDoc) : EMPTY;
  };
  const change = db.transaction(
    (nodeId: string, next: (doc: ManagedExportsDoc) => ManagedExportsDoc | undefined): ManagedExportsDoc => {
      const changed = next(docOf(nodeId));
      if (changed === undefined) return docOf(nodeId);
      write.run(nodeId, JSON.stringify(changed));
      return changed;
    },
  );
  return {
    forNode: async (nodeId) => docOf(nodeId),
    change: async (nodeId, next) => change(nodeId, next),
    async removeNode(nodeId) {
      remove.run(nodeId);
    },
  };
}
