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

export interface FreshKvOptions {
  /**
   * Read from each stream's leader: the buckets are made beforehand without direct gets, which the port
   * then honours. With direct gets (the client's default), any replica answers a read — on a cluster one
   * that has not applied the latest acknowledged write yet, so a read may miss it.
   */
  leaderReads?: boolean;
}

/** A NAS store on buckets `<module>_*` that no other test uses; `close` deletes them. */
export async function freshKvStore(
  nc: NatsConnection,
  replicas: number,
  options: FreshKvOptions = {},
): Promise<KvUnderTest> {
  stores += 1;
  const module = `nas${stores}`;
  const kvm = new Kvm(nc);
  if (options.leaderReads)
    await Promise.all(
      BUCKETS.map((name) => kvm.create(`${module}_${name}`, { replicas, history: 1, allow_direct: false })),
    );
  const kv = createJetStreamKv({ kvm, module, replicas });
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
