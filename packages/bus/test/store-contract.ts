// The contract of the bus repositories (src/store/repositories.ts), one suite run against every store:
// SQLite (store-sqlite.test.ts), JetStream KV on one server (store-kv.test.ts) and on a 3-node cluster
// (store-kv-cluster.test.ts). Each test gets an empty store; the expectations are the same for all.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusStore } from '../src/store/repositories.js';
import { natsCredentialContract, nonceContract } from './store-contract-nonces.js';
import { rekeyContract } from './store-contract-rekey.js';
import { blobContract, revocationContract } from './store-contract-revocations.js';
import { roomContract } from './store-contract-rooms.js';
import { gatewayContract, userContract } from './store-contract-users.js';

export interface StoreUnderTest {
  store: BusStore;
  /** Another store on the same data (a second connection, as a second replica would have). */
  replica(): Promise<BusStore>;
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

/** The store under test, and a replica of it, inside a test. */
export interface Subject {
  store(): BusStore;
  replica(): Promise<BusStore>;
}

/** Registers the contract's `describe` blocks for the stores `factory` makes (an empty one per test). */
export function describeBusStoreContract(
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

  describe(`bus store contract: ${name}`, () => {
    let current: StoreUnderTest | undefined;
    const subject: Subject = {
      store() {
        if (!current) throw new Error('no store: the factory failed');
        return current.store;
      },
      replica() {
        if (!current) throw new Error('no store: the factory failed');
        return current.replica();
      },
    };
    beforeEach(async () => {
      current = await factory();
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    userContract(subject, concurrently);
    gatewayContract(subject, concurrently);
    roomContract(subject, concurrently);
    rekeyContract(subject, concurrently);
    nonceContract(subject, concurrently);
    natsCredentialContract(subject);
    revocationContract(subject, concurrently);
    blobContract(subject);
  });
}
