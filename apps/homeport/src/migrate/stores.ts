// The accounts and NAS repositories the importer writes through, over Homeport's own database connection.
//
// Neither package exports its SQLite store factory or its record types (only the modules use them), and the
// importer must write records the services cannot express — a bcrypt hash kept as is, a node with the token
// digest and id its agent already holds — so it reaches into their store folders. This is the one file that
// does; an export of these from each package's index would replace the relative paths.

import type { SqliteDatabase } from '@homeport/core';
import type { UserRepository } from '../../../../packages/accounts/src/store/repositories.js';
import { createSqliteAccountsStore } from '../../../../packages/accounts/src/store/sqlite-store.js';
import type {
  ExportRecord,
  ExportRepository,
  NodeRecord,
  NodeRepository,
  NodeStatus,
} from '../../../../packages/nas/src/control/store/repositories.js';
import { createSqliteNasStore } from '../../../../packages/nas/src/control/store/sqlite-store.js';

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
