// Managed exports on the KV port: one `node.<id>` document per node, changed by compare-and-set.

import { type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, part, readDoc } from './kv-support.js';
import type { ManagedExportRepository, ManagedExportsDoc } from './repositories.js';

const FIELDS = ['roots', 'exports'] as const;
const nodeKey = (nodeId: string) => `node.${part(nodeId)}`;

export function kvManagedExportRepository(bucket: KvBucket): ManagedExportRepository {
  const read = (nodeId: string) => readDoc<ManagedExportsDoc>(bucket, nodeKey(nodeId), FIELDS);
  return {
    async forNode(nodeId) {
      return (await read(nodeId))?.value ?? { roots: [], exports: [] };
    },
    change: (nodeId, next) =>
      withCasRetry(async () => {
        const current = await read(nodeId);
        const changed = next(current?.value ?? { roots: [], exports: [] });
        if (changed === undefined) return current?.value ?? { roots: [], exports: [] };
        if (current === undefined) await bucket.create(nodeKey(nodeId), changed);
        else await bucket.update(nodeKey(nodeId), changed, current.revision);
        return changed;
      }, CAS_TRIES),
    async removeNode(nodeId) {
      await bucket.delete(nodeKey(nodeId));
    },
  };
}
