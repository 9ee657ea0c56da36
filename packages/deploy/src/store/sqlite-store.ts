// The deploy store on SQLite (the contract is written in repositories.ts; the schema in migrations.ts).

import type { SqliteDatabase } from '@homeport/core';
import type { DeployStore, DeployStoreOptions } from './repositories.js';
import { sqliteDeployRepository, sqliteReleaseRepository } from './sqlite-history.js';
import { sqliteLogRepository, sqliteWebhookEventRepository } from './sqlite-logs.js';
import { sqliteLiveRepository, sqliteProjectRepository, sqliteStageRepository } from './sqlite-projects.js';
import { logBounds } from './store-checks.js';

/**
 * The deploy store on a database the deploy migrations were applied to.
 *
 * @example
 *   applyMigrations(db, 'deploy', deployMigrations);
 *   const store = createSqliteDeployStore(db, { maxDeployLogLines: 5_000 });
 */
export function createSqliteDeployStore(db: SqliteDatabase, options: DeployStoreOptions = {}): DeployStore {
  const bounds = logBounds(options);
  return {
    projects: sqliteProjectRepository(db),
    stages: sqliteStageRepository(db),
    live: sqliteLiveRepository(db),
    releases: sqliteReleaseRepository(db),
    deploys: sqliteDeployRepository(db),
    logs: sqliteLogRepository(db, bounds),
    webhookEvents: sqliteWebhookEventRepository(db),
  };
}
