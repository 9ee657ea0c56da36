// The contract of the NAS repositories (repositories.ts), one suite run against every store: SQLite
// (store-sqlite.test.ts), JetStream KV on one server (store-kv.test.ts) and on a 3-node cluster
// (store-kv-cluster.test.ts). Each test gets an empty store; the expectations are the same for all.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NasStore } from '../src/control/store/repositories.js';
import { credentialContract, settingContract } from './store-contract-credentials.js';
import { exportContract } from './store-contract-exports.js';
import { grantContract } from './store-contract-grants.js';
import { managedExportContract } from './store-contract-managed-exports.js';
import { nodeContract } from './store-contract-nodes.js';
import { shareContract } from './store-contract-shares.js';

export interface StoreUnderTest {
  store: NasStore;
  close(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

export interface ContractOptions {
  /**
   * Why this store cannot hold the guarantees that rest on concurrent compare-and-set (a server that does
   * not serialize it), and what Homeport says when it refuses to run on it: the tests of concurrent writers
   * are then replaced by one that checks the refusal.
   */
  concurrencyUnsupported?: { reason: string; refusal: string | undefined };
}

/** Registers a section's tests of concurrent writers (where they cannot hold: the check of the refusal). */
export type Concurrently = (tests: () => void) => void;

/** Registers the contract's `describe` blocks for the stores `factory` makes (an empty one per test). */
export function describeNasStoreContract(
  name: string,
  factory: StoreFactory,
  options: ContractOptions = {},
): void {
  const unsupported = options.concurrencyUnsupported;
  const concurrently: Concurrently = (tests) =>
    unsupported === undefined
      ? describe('with concurrent writers', tests)
      : describe('with concurrent writers', () => {
          it(`are not held here (${unsupported.reason}), so Homeport refuses to run on this store`, () => {
            expect(unsupported.refusal).toMatch(/nats-server#4320/);
          });
        });

  describe(`NAS store contract: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const store = (): NasStore => {
      if (!current) throw new Error('no store: the factory failed');
      return current.store;
    };
    beforeEach(async () => {
      current = await factory();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    nodeContract(store, concurrently);
    exportContract(store, concurrently);
    grantContract(store, concurrently);
    credentialContract(store, concurrently);
    shareContract(store, concurrently);
    managedExportContract(store, concurrently);
    settingContract(store);
  });
}
