// NAS stores on JetStream KV for the contract suite: fresh buckets for each test (a module name of its
// own), deleted again when the test ends.

import { createJetStreamKv, type KvStore } from '@homeport/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createKvNasStore } from '../src/control/store/kv-store.js';
import type { StoreUnderTest } from './store-contract.js';

const BUCKETS = ['nodes', 'exports', 'grants', 'credentials', 'settings'] as const;
let stores = 0;

/** A client that keeps reconnecting (a cluster test stops nodes under it). */
export const natsClient = (servers: string | string[]): Promise<NatsConnection> =>
  connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 5_000 });

export interface KvUnderTest extends StoreUnderTest {
  /** The KV port the store was built on (raw buckets, for looking under the repositories). */
  kv: KvStore;
  module: string;
}

/** A NAS store on buckets `<module>_*` that no other test uses; `close` deletes them. */
export async function freshKvStore(nc: NatsConnection, replicas: number): Promise<KvUnderTest> {
  stores += 1;
  const module = `nas${stores}`;
  // Core's port creates buckets that read from each stream's leader (no direct gets from followers).
  const kv = createJetStreamKv({ kvm: new Kvm(nc), module, replicas });
  return {
    kv,
    module,
    store: await createKvNasStore(kv),
    async close() {
      const jsm = await jetstreamManager(nc);
      await Promise.all(BUCKETS.map((name) => jsm.streams.delete(`KV_${module}_${name}`)));
    },
  };
}
