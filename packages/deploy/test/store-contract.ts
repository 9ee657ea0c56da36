// The contract of the deploy repositories (src/store/repositories.ts), one suite run against every store:
// SQLite (store-sqlite.test.ts), JetStream KV on one server (store-kv.test.ts) and on a 3-node cluster
// (store-kv-cluster.test.ts). Each test gets an empty store; the expectations are the same for all.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployStore } from '../src/store/repositories.js';

export { CONTRACT_OPTIONS } from './store-contract-fixtures.js';

import { deployContract, queueContract } from './store-contract-deploys.js';
import { logContract, webhookContract } from './store-contract-logs.js';
import { liveContract, projectContract, stageContract } from './store-contract-projects.js';
import { releaseContract } from './store-contract-releases.js';

export interface StoreUnderTest {
  store: DeployStore;
  /** Another store on the same data (a second connection, as a second replica would have). */
  replica(): Promise<DeployStore>;
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
  /** Only the sections named (a slow store runs a part of the suite). */
  only?: readonly Section[];
}

export type Section = 'projects' | 'stages' | 'live' | 'releases' | 'deploys' | 'queue' | 'logs' | 'webhooks';

/** Registers a section's tests of concurrent writers (where they cannot hold: the check of the refusal). */
export type Concurrently = (tests: () => void) => void;

/** The store under test, and a replica of it, inside a test. */
export interface Subject {
  store(): DeployStore;
  replica(): Promise<DeployStore>;
}

const SECTIONS: Record<Section, (subject: Subject, concurrently: Concurrently) => void> = {
  projects: projectContract,
  stages: stageContract,
  live: liveContract,
  releases: releaseContract,
  deploys: deployContract,
  queue: queueContract,
  logs: logContract,
  webhooks: webhookContract,
};

/** Registers the contract's `describe` blocks for the stores `factory` makes (an empty one per test). */
export function describeDeployStoreContract(
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

  describe(`deploy store contract: ${name}`, () => {
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
    for (const [section, register] of Object.entries(SECTIONS) as [Section, (typeof SECTIONS)[Section]][])
      if (options.only === undefined || options.only.includes(section)) register(subject, concurrently);
  });
}
