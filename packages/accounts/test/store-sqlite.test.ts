// The accounts store contract on SQLite: a fresh database file per test, migrated like the server does.

import { join } from 'node:path';
import { applyMigrations, openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { accountsMigrations } from '../src/store/migrations.js';
import { createSqliteAccountsStore } from '../src/store/sqlite-store.js';
import { describeAccountsStore } from './store-contract.js';

describeAccountsStore('sqlite', async ({ clock }) => {
  const db = openDatabase(join(tempDir('homeport-accounts-store-'), 'homeport.db'));
  applyMigrations(db, 'accounts', accountsMigrations);
  return {
    store: createSqliteAccountsStore(db, { clock }),
    close: async () => {
      db.close();
    },
  };
});
