// The deploy store's surface: the repositories' contract (repositories.ts) and its two implementations.

export { createKvDeployStore } from './kv-store.js';
export { deployMigrations } from './migrations.js';
export {
  type DeployInput,
  type DeployListQuery,
  type DeployProgress,
  type DeployRepository,
  type DeployStore,
  DeployStoreError,
  type DeployStoreOptions,
  type LiveRepository,
  type LogRepository,
  type LogStreamKey,
  type ProjectInput,
  type ProjectPatch,
  type ProjectRepository,
  type ReleaseInput,
  type ReleaseRepository,
  type StageInput,
  type StageRepository,
  type WebhookEventRepository,
} from './repositories.js';
export { createSqliteDeployStore } from './sqlite-store.js';
