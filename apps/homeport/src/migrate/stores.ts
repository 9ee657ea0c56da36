// The accounts and NAS repositories the importer writes through, over Homeport's own database connection:
// the importer writes records the services cannot express — a bcrypt hash kept as is, a node with the token
// digest and id its agent already holds.

import type { UserRepository } from '@homeport/accounts';
import { createSqliteAccountsStore } from '@homeport/accounts';
import type { SqliteDatabase } from '@homeport/core';
import {
  createSqliteNasStore,
  type ExportRecord,
  type ExportRepository,
  type NodeRecord,
  type NodeRepository,
  type NodeStatus,
} from '@homeport/nas';

export type { UserRecord } from '@homeport/accounts';
export type { ExportRecord, NodeRecord, NodeStatus };

/** What the importer reads and writes in Homeport. */
export interface ImportTarget {
  users: UserRepository;
  nodes: NodeRepository;
  exports: ExportRepository;
}

export function importTarget(db: SqliteDatabase): ImportTarget {
  const accounts = createSqliteAccountsStore(db);
  const nas = createSqliteNasStore(db);
  return { users: accounts.users, nodes: nas.nodes, exports: nas.exports };
}
