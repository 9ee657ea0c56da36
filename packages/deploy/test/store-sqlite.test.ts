// The deploy store contract on SQLite: a temp database file with the deploy migrations applied (a replica is
// a second connection to the file); then what only SQLite shows.

import { join } from 'node:path';
import { applyMigrations, openDatabase, type SqliteDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { deployMigrations } from '../src/store/migrations.js';
import { createSqliteDeployStore } from '../src/store/sqlite-store.js';
import { CONTRACT_OPTIONS, describeDeployStoreContract, type StoreUnderTest } from './store-contract.js';
import { at, deployInput, projectInput, stageInput } from './store-contract-fixtures.js';

async function sqliteStore(): Promise<StoreUnderTest & { file: string }> {
  const file = join(tempDir('homeport-deploy-store-'), 'homeport.db');
  const db = openDatabase(file);
  applyMigrations(db, 'deploy', deployMigrations);
  const connections: SqliteDatabase[] = [db];
  return {
    file,
    store: createSqliteDeployStore(db, CONTRACT_OPTIONS),
    async replica() {
      const other = openDatabase(file);
      connections.push(other);
      return createSqliteDeployStore(other, CONTRACT_OPTIONS);
    },
    async close() {
      for (const connection of connections) connection.close();
    },
  };
}

describeDeployStoreContract('SQLite', sqliteStore);

describe('deploy store on SQLite', () => {
  it('applies its migrations once', async () => {
    const db = openDatabase(join(tempDir('homeport-deploy-store-'), 'homeport.db'));
    expect(applyMigrations(db, 'deploy', deployMigrations)).toBe(deployMigrations.length);
    expect(applyMigrations(db, 'deploy', deployMigrations)).toBe(0);
    db.close();
  });

  it('refuses a second running deploy of a stage in the schema itself', async () => {
    const { store, file, close } = await sqliteStore();
    await store.projects.create(projectInput('shop'), at(0));
    const stage = await store.stages.create(stageInput('p_shop', 'a'), at(0));
    await store.deploys.enqueue(deployInput('p_shop', stage.id, 'd1'), at(1), { supersedeAutomatic: false });
    await store.deploys.enqueue(deployInput('p_shop', stage.id, 'd2'), at(1), { supersedeAutomatic: false });
    await store.deploys.claimNext(stage.id, 'r', at(2));
    const db = openDatabase(file);
    expect(() => db.prepare("UPDATE deploy_deploys SET status = 'running' WHERE id = 'd2'").run()).toThrow(
      /UNIQUE/,
    );
    db.close();
    await close();
  });

  it('trims a log stream by its key range, not by scanning the table', async () => {
    const { close, file } = await sqliteStore();
    const db = openDatabase(file);
    const plan = db
      .prepare("EXPLAIN QUERY PLAN DELETE FROM deploy_logs WHERE stream = 'deploy:d1' AND seq <= 5")
      .all() as { detail: string }[];
    expect(plan.map((step) => step.detail).join('\n')).toMatch(
      /SEARCH deploy_logs USING PRIMARY KEY \(stream=\? AND seq<\?\)/,
    );
    db.close();
    await close();
  });
});
