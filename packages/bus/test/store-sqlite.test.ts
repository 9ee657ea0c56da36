// The bus store contract on SQLite: a temp database file with the bus migrations applied (a replica is a
// second connection to the file); then what only SQLite shows — nonces come back after their sweep.

import { join } from 'node:path';
import { applyMigrations, openDatabase, type SqliteDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { busMigrations } from '../src/store/migrations.js';
import { createSqliteBusStore } from '../src/store/sqlite-store.js';
import { describeBusStoreContract, type StoreUnderTest } from './store-contract.js';
import { hexKey } from './store-contract-fixtures.js';

async function sqliteStore(): Promise<StoreUnderTest> {
  const file = join(tempDir('homeport-bus-store-'), 'homeport.db');
  const db = openDatabase(file);
  applyMigrations(db, 'bus', busMigrations);
  const connections: SqliteDatabase[] = [db];
  return {
    store: createSqliteBusStore(db),
    async replica() {
      const other = openDatabase(file);
      connections.push(other);
      return createSqliteBusStore(other);
    },
    async close() {
      for (const connection of connections) connection.close();
    },
  };
}

describeBusStoreContract('SQLite', sqliteStore);

describe('bus store on SQLite', () => {
  it('forgets a nonce at its sweep once expired, and the nonce can be claimed again', async () => {
    const { store, close } = await sqliteStore();
    const ann = hexKey('ann');
    expect(await store.nonces.claim(ann, 'n-1', 1_000)).toBe(true);
    expect(await store.nonces.claim(ann, 'n-2', 2_000)).toBe(true);
    expect(await store.nonces.sweep(999)).toBe(0);
    expect(await store.nonces.claim(ann, 'n-1', 3_000)).toBe(false);
    expect(await store.nonces.sweep(1_000)).toBe(1);
    expect(await store.nonces.claim(ann, 'n-1', 3_000)).toBe(true);
    expect(await store.nonces.claim(ann, 'n-2', 3_000)).toBe(false);
    await close();
  });

  it('applies its migrations once', async () => {
    const db = openDatabase(join(tempDir('homeport-bus-store-'), 'homeport.db'));
    expect(applyMigrations(db, 'bus', busMigrations)).toBe(busMigrations.length);
    expect(applyMigrations(db, 'bus', busMigrations)).toBe(0);
    db.close();
  });
});
