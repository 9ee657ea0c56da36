// The NAS store contract on SQLite: a temp database file with the NAS migrations applied.

import { join } from 'node:path';
import { applyMigrations, openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { nasMigrations } from '../src/control/store/migrations.js';
import { createSqliteNasStore } from '../src/control/store/sqlite-store.js';
import { describeNasStoreContract } from './store-contract.js';

describeNasStoreContract('SQLite', async () => {
  const db = openDatabase(join(tempDir('homeport-nas-store-'), 'homeport.db'));
  applyMigrations(db, 'nas', nasMigrations);
  return { store: createSqliteNasStore(db), close: async () => void db.close() };
});
