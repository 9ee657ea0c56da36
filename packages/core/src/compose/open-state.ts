// Where a composed Homeport keeps its state: the SQLite database in the data dir, or (HOMEPORT_STORE=kv)
// NATS JetStream KV shared by every replica, with the quorum watch that gates replicated reads.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { coreSettings } from '../config/core-settings.js';
import { type Config, ConfigError } from '../config/load.js';
import type { Logger } from '../logger.js';
import type { NatsOn } from '../module.js';
import { openNats } from '../nats/open.js';
import type { KvStore, StoreDriver } from '../store/kv.js';
import { clusteredKvProblem, createJetStreamKv } from '../store/kv-jetstream.js';
import { type QuorumWatch, watchQuorum } from '../store/quorum.js';
import { openDatabase, type SqliteDatabase } from '../store/sqlite.js';

export interface OpenState {
  /** Absolute data folder (created 0700 when missing). */
  dataDir: string;
  /** The database (sqlite store only). */
  db: SqliteDatabase | undefined;
  /** The NATS connection (kv store only). */
  nats: NatsOn | undefined;
  /** This replica's name in leases and heartbeats (unique per process). */
  holder: string;
  /** Replicated KV only: whether this replica's writes reach a quorum. */
  quorum: QuorumWatch | undefined;
  /** On KV, one module's buckets; undefined on SQLite. */
  kvFor(module: string): KvStore | undefined;
  /** The store driver a module is given. */
  storeFor(module: string): StoreDriver;
  /** On KV, what /ready reads (within a second, gated by the quorum when replicated). */
  readinessProbe: KvStore | undefined;
}

/** Opens the database and creates the data dir. */
function openSqlite(dataDir: string): { db: SqliteDatabase; dataDir: string } {
  const absolute = resolve(dataDir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  return { db: openDatabase(join(absolute, 'homeport.db')), dataDir: absolute };
}

/**
 * Opens the database, or (HOMEPORT_STORE=kv) a NATS connection — an external server or the managed one —
 * whose JetStream KV every replica shares. `secretKey` names a managed cluster's identity.
 */
async function openStateParts(
  config: Config,
  log: Logger,
  secretKey: string | undefined,
): Promise<{ dataDir: string; db?: SqliteDatabase; nats?: NatsOn }> {
  const core = config.read(coreSettings);
  if (core.store === 'sqlite') return openSqlite(core.dataDir);
  const dataDir = resolve(core.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const nats = await openNats(config, { dataDir, log, secretKey });
  if (nats.state === 'off') throw new ConfigError([`HOMEPORT_STORE=kv ${nats.reason}`]);
  const unsafe = clusteredKvProblem(nats.nc.info?.version, core.kvReplicas);
  if (unsafe !== undefined && core.kvAllowOldServer) {
    log.warn(
      { serverVersion: nats.nc.info?.version, replicas: core.kvReplicas },
      `HOMEPORT_KV_ALLOW_OLD_SERVER is set: running anyway, for testing only — ${unsafe}`,
    );
  } else if (unsafe !== undefined) {
    await nats.close();
    throw new ConfigError([
      `${unsafe}; upgrade nats-server (HOMEPORT_KV_ALLOW_OLD_SERVER=true runs a test cluster anyway)`,
    ]);
  }
  return { dataDir, nats };
}

/** Opens where state lives and, on replicated KV, waits for the quorum watch's first answer. */
export async function openState(
  config: Config,
  options: { log: Logger; clock: () => number; secretKey: string | undefined },
): Promise<OpenState> {
  const { log, clock } = options;
  const core = config.read(coreSettings);
  const { dataDir, db, nats } = await openStateParts(config, log, options.secretKey);
  const holder = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Replicated KV: reads are trusted only while this replica's writes reach a quorum (a leader cut off from
  // its peers keeps answering reads until it steps down); see store/quorum.ts.
  const quorum =
    nats && core.kvReplicas > 1
      ? watchQuorum({
          kv: createJetStreamKv({
            kvm: nats.kvm,
            module: 'core',
            replicas: core.kvReplicas,
            timeoutMs: 1500,
          }),
          holder,
          log: log.child({ component: 'store' }),
          clock,
        })
      : undefined;
  await quorum?.first;
  const readGate = quorum && ((what: string) => quorum.assertConfirmed(what));
  // On KV, ready means a read of the store answers within a second (and, replicated, a quorum acknowledges).
  const readinessProbe =
    nats &&
    createJetStreamKv({
      kvm: nats.kvm,
      module: 'core',
      replicas: core.kvReplicas,
      timeoutMs: 1000,
      ...(readGate ? { readGate } : {}),
    });
  // openStateParts gives either the database or (kv store) an open NATS connection.
  const kvFor = (module: string): KvStore | undefined =>
    nats &&
    createJetStreamKv({
      kvm: nats.kvm,
      module,
      replicas: core.kvReplicas,
      ...(readGate ? { readGate } : {}),
    });
  const storeFor = (module: string): StoreDriver => {
    const kv = kvFor(module);
    if (db) return { kind: 'sqlite', db };
    if (!kv) throw new Error('kv store without NATS');
    return { kind: 'kv', kv };
  };
  return { dataDir, db, nats, holder, quorum, kvFor, storeFor, readinessProbe };
}
