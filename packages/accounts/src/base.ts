// Accounts as the base module the composition builds every other module on (core's BaseModuleFactory): its
// guards are the others' `ctx.auth`, its users their `ctx.users` directory.

import type { BaseModule, BaseModuleFactory, UserDirectory } from '@homeport/core';
import { AccountsError } from './errors.js';
import { accountsStoreOf, createAccounts } from './module.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { AccountsService } from './service.js';
import { accountsSettings } from './settings.js';
import { accountsMigrations } from './store/migrations.js';

/** What other modules may know of an account: id, name, role, status; an unknown user is undefined. */
function directoryOf(service: AccountsService): UserDirectory {
  return {
    async find(idOrUsername) {
      const user = await service.findUser(idOrUsername).catch((error: unknown) => {
        if (error instanceof AccountsError && error.code === 'user_not_found') return undefined;
        throw error;
      });
      return user && { id: user.id, username: user.username, role: user.role, status: user.status };
    },
    onAccessNarrowed: (listener) => service.onAccessNarrowed(listener),
  };
}

/**
 * The accounts module for `composeModules` (core) and `buildTestHomeport` (./testing): created first, with
 * its migrations applied before its repositories prepare their statements.
 */
export const accountsBase: BaseModuleFactory = {
  name: 'accounts',
  migrations: accountsMigrations,
  settings: [accountsSettings],
  secretKey: (config) => config.read(accountsSettings).secretKey,
  async create(ctx): Promise<BaseModule> {
    const accounts = createAccounts({
      config: ctx.config,
      store: await accountsStoreOf(ctx.store, ctx.clock),
      events: ctx.events,
      log: ctx.log,
      dataDir: ctx.dataDir,
      clock: ctx.clock,
      tls: ctx.tls,
      sharedThrottles: ctx.sharedKv,
    });
    const { service } = accounts;
    return {
      module: accounts.module,
      auth: accounts.guards,
      users: directoryOf(service),
      passwords: {
        hash: hashPassword,
        verify: async (stored, password) => (await verifyPassword(stored, password)).ok,
      },
      onCredentialsEnded: (listener) => service.onCredentialsEnded(listener),
      forgetCachedCredentials: (userId) => service.forgetCachedCredentials(userId),
    };
  },
};
