// Deploy stores on JetStream KV for the contract suite: the same buckets for every test of a file, purged
// when a test ends (creating and deleting seven R3 streams per test took most of the cluster suite's time),
// and a replica on a second connection to the same servers.

import { createJetStreamKv, type KvStore, StoreError } from '@homeport/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createKvDeployStore } from '../src/store/kv-store.js';
import type { DeployStore } from '../src/store/repositories.js';
import type { StoreUnderTest } from './store-contract.js';
import { CONTRACT_OPTIONS } from './store-contract-fixtures.js';

const BUCKETS = ['projects', 'stages', 'live', 'releases', 'deploys', 'logs', 'webhooks'] as const;

/** A client that keeps reconnecting (a cluster test stops nodes under it). */
export const natsClient = (servers: string | string[]): Promise<NatsConnection> =>
  connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5_000 });

export interface KvUnderTest extends StoreUnderTest {
  /** The KV port the store was built on (raw buckets, for looking under the repositories). */
  kv: KvStore;
  module: string;
}

/**
 * The store on `kv`, its buckets opened with up to three tries: on the 3-node cluster, sharing two cores
 * with the streams the previous test is deleting, creating R3 streams can run past JetStream's API timeout.
 * What is under test is the store, not how fast a loaded cluster creates streams.
 */
async function opened(kv: KvStore): Promise<DeployStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createKvDeployStore(kv, CONTRACT_OPTIONS);
    } catch (error) {
      if (!(error instanceof StoreError && error.code === 'store_unavailable') || attempt >= 3) throw error;
    }
  }
}

/** A deploy store on buckets `<module>_*` that no other file uses, empty; `close` purges them. */
export async function freshKvStore(
  nc: NatsConnection,
  servers: string | string[],
  replicas: number,
): Promise<KvUnderTest> {
  const module = `deploy${process.pid}r${replicas}`;
  // Core's port creates buckets that read from each stream's leader (no direct gets from followers).
  const kv = createJetStreamKv({ kvm: new Kvm(nc), module, replicas });
  const others: NatsConnection[] = [];
  return {
    kv,
    module,
    store: await opened(kv),
    async replica() {
      const other = await natsClient(servers);
      others.push(other);
      return opened(createJetStreamKv({ kvm: new Kvm(other), module, replicas }));
    },
    async close() {
      await Promise.all(others.map((other) => other.close()));
      const jsm = await jetstreamManager(nc);
      await Promise.all(BUCKETS.map((name) => jsm.streams.purge(`KV_${module}_${name}`)));
    },
  };
}
