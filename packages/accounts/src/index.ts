// Public surface of @homeport/accounts.

export { accountsBase } from './base.js';
export { AccountsError, type AccountsErrorCode } from './errors.js';
export { bootstrapFirstAdmin, type FirstAdminOptions } from './first-admin.js';
export { type AccountsGuards, SESSION_COOKIE } from './guards.js';
export {
  ACCOUNTS,
  type Accounts,
  type AccountsApi,
  type AccountsOptions,
  accountsStoreOf,
  createAccounts,
} from './module.js';
export { ARGON2_OPTIONS } from './passwords.js';
export { newPassword } from './secrets.js';
export {
  type AccountsService,
  type PublicUser,
  toPublicUser,
  USERNAME_PATTERN,
  USERS_TOPIC,
} from './service.js';
export { accountsSettings } from './settings.js';
export { createKvAccountsStore } from './store/kv-store.js';
export { accountsMigrations } from './store/migrations.js';
export type { UserRecord, UserRepository } from './store/repositories.js';
export {
  type AccountsSnapshotOptions,
  accountsSnapshotKinds,
  snapshotAccounts,
} from './store/snapshot.js';
export { createSqliteAccountsStore } from './store/sqlite-store.js';
