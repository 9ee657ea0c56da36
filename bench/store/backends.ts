// The stores under test, built the way Homeport builds them: SQLite through openDatabase with the modules'
// migrations applied (compose.ts), and JetStream KV through core's port over one NATS connection, with the
// raw KV client opened on the same connection and the same buckets.

import { join } from 'node:path';
import { accountsMigrations, createKvAccountsStore, createSqliteAccountsStore } from '@homeport/accounts';
import { applyMigrations, createJetStreamKv, openDatabase } from '@homeport/core';
import { createKvNasStore, createNasModule, createSqliteNasStore } from '@homeport/nas';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { AccountsStore, NasStore } from './fixtures.js';
import { openRawBuckets, type RawBuckets } from './raw-kv.js';

export interface Backend {
  /** `SQLite`, `KV R1`, `KV R3`. */
  name: string;
  accounts: AccountsStore;
  nas: NasStore;
  /** The raw KV client on the same buckets (KV backends only). */
  raw?: RawBuckets;
  /** Where things run, for the progress output. */
  describe(): Promise<string>;
  /**
   * Deletes the consumers earlier key listings left on the buckets (KV only; how many). Every listing
   * creates one, and the client asks the server to keep it 5 minutes after use: thousands pile up under a
   * listing load, and one run's leftovers would slow the next.
   */
  dropListingConsumers(): Promise<number>;
  close(): Promise<void>;
}

/** Bucket name prefixes of their own, so a Homeport on the same nats-server never shares a bucket. */
const MODULES = { accountsModule: 'bench_accounts', nasModule: 'bench_nas' } as const;

export function openSqliteBackend(dir: string): Backend {
  const file = join(dir, 'homeport.db');
  const db = openDatabase(file);
  applyMigrations(db, 'accounts', accountsMigrations);
  // The NAS migrations are public only through its module (the composition root applies them from there).
  applyMigrations(db, 'nas', createNasModule({ version: 'bench' }).migrations);
  return {
    name: 'SQLite',
    accounts: createSqliteAccountsStore(db),
    nas: createSqliteNasStore(db),
    describe: async () => `${file} (WAL, synchronous=NORMAL: openDatabase's pragmas)`,
    dropListingConsumers: async () => 0,
    close: async () => void db.close(),
  };
}

export async function openKvBackend(name: string, servers: string[], replicas: number): Promise<Backend> {
  const nc = await connect({ servers, timeout: 5_000 });
  const kv = (module: string) => createJetStreamKv({ kvm: new Kvm(nc), module, replicas });
  const accounts = await createKvAccountsStore(kv(MODULES.accountsModule));
  const nas = await createKvNasStore(kv(MODULES.nasModule));
  const raw = await openRawBuckets(nc, MODULES, replicas);
  const jsm = await jetstreamManager(nc);
  const streams = [
    `KV_${MODULES.accountsModule}_records`,
    `KV_${MODULES.nasModule}_nodes`,
    `KV_${MODULES.nasModule}_exports`,
  ];
  return {
    name,
    accounts,
    nas,
    raw,
    async describe() {
      const leaders = await Promise.all(
        streams.map(async (stream) => {
          const info = await jsm.streams.info(stream);
          return `${stream} R${info.config.num_replicas} leader ${info.cluster?.leader ?? '?'}`;
        }),
      );
      return `client on ${nc.info?.server_name ?? '?'} (nats-server ${nc.info?.version ?? '?'}); ${leaders.join('; ')}`;
    },
    async dropListingConsumers() {
      let dropped = 0;
      for (const stream of streams) {
        // A clustered nats-server 2.9.10 lists at most one page (256) of them at a time: list until none.
        for (let pass = 0; pass < 200; pass += 1) {
          const names: string[] = [];
          for await (const consumer of jsm.consumers.list(stream)) names.push(consumer.name);
          if (names.length === 0) break;
          await raw.mapBounded(names, (name) => jsm.consumers.delete(stream, name));
          dropped += names.length;
        }
      }
      return dropped;
    },
    close: () => nc.close(),
  };
}
