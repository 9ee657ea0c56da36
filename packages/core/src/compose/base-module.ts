// The module every other module builds on (accounts): composed first, its guards and user directory handed
// to the others. Core names what it needs of it here, so it composes accounts without depending on it.

import type { Config } from '../config/load.js';
import type { SettingGroup } from '../config/settings.js';
import type { EventBus } from '../events/hub.js';
import type { Logger } from '../logger.js';
import type { AuthGuards, Module, PasswordHasher, UserDirectory } from '../module.js';
import type { KvStore, StoreDriver } from '../store/kv.js';
import type { Migration } from '../store/sqlite.js';

/** What the base module is built from: the parts of a module context that exist before any module. */
export interface BaseModuleContext {
  config: Config;
  log: Logger;
  store: StoreDriver;
  events: EventBus;
  /** Absolute data folder. */
  dataDir: string;
  clock: () => number;
  /** Whether the server itself serves TLS (cookies get the Secure flag). */
  tls: boolean;
  /** On the KV store, where counters every replica shares are kept (login throttles); undefined on SQLite. */
  sharedKv: KvStore | undefined;
}

/** The base module once built: its module, and what every other module receives from it. */
export interface BaseModule {
  module: Module;
  /** Every other module's `ctx.auth`. */
  auth: AuthGuards;
  /** Every other module's `ctx.users`. */
  users: UserDirectory;
  /** Every other module's `ctx.passwords`. */
  passwords: PasswordHasher;
  /** Calls `listener` when a credential of a user ended (logout, revoked token, disabled or demoted user). */
  onCredentialsEnded(listener: (userId: string) => void): () => void;
  /** Drops what this replica cached of a user's credentials (another replica ended one). */
  forgetCachedCredentials(userId: string): void;
}

/** How to build the base module. Its migrations run before `create`: its repositories may prepare statements. */
export interface BaseModuleFactory {
  name: string;
  migrations: readonly Migration[];
  /** Its setting groups, validated with the others' at start. */
  settings: readonly SettingGroup[];
  /**
   * The cluster's secret key (HOMEPORT_SECRET_KEY), which the base module's settings own: it seals generated
   * secrets on KV and names a managed NATS cluster's identity.
   */
  secretKey(config: Config): string | undefined;
  create(ctx: BaseModuleContext): Promise<BaseModule>;
}
