// `homeport migrate to-kv`: copies a SQLite Homeport — every module's records and the generated secrets — into
// NATS JetStream KV, after a backup, then proves the two stores hold the same records (the parity check).
// Idempotent: a second run finds everything unchanged, and a run after the SQLite Homeport changed brings
// KV up to it.

import { dirname } from 'node:path';
import { accountsSnapshotKinds, createKvAccountsStore, createSqliteAccountsStore } from '@homeport/accounts';
import {
  type Config,
  clusteredKvProblem,
  createJetStreamKv,
  type KvStore,
  type Logger,
  openNats,
  type SqliteDatabase,
} from '@homeport/core';
import { createKvNasStore, createSqliteNasStore, nasSnapshotKinds } from '@homeport/nas';
import { MigrateError } from './errors.js';
import { backupBeforeKv } from './to-kv-backup.js';
import { copyKind, firstDifference, type KindCounts, type RecordKind } from './to-kv-copy.js';
import { kvSecrets, readFileSecrets, secretKeyWarning } from './to-kv-secrets.js';
import { type ModuleSchema, openSqliteSource, readConsistently } from './to-kv-source.js';

export interface MigrateToKvOptions {
  /** The SQLite database (absolute path); its folder is the data dir (secrets, backups). */
  database: string;
  /** NATS settings only (URL, creds, CA), as `homeport start` reads them. */
  nats: Config;
  /** Copies of each bucket (1 on one server, 3 on a three-node cluster). */
  replicas: number;
  /** Take the VACUUM INTO backup first (default yes; --no-backup). */
  backup: boolean;
  /** Seals the secrets in KV: the HOMEPORT_SECRET_KEY every replica will run with. */
  secretKey: string;
  /** Every module of this Homeport with its migrations: the schema the database must be at. */
  schemas: readonly ModuleSchema[];
  log: Logger;
  clock?: () => number;
  /** Told as soon as the backup is written. */
  onBackup?: (file: string) => void;
  /** Told as each kind of record is copied (the progress lines). */
  onKind?: (report: KindReport) => void;
}

export interface KindReport extends KindCounts {
  module: string;
  kind: string;
}

export interface ToKvReport {
  database: string;
  nats: { url: string; serverVersion: string; replicas: number };
  /** The backup taken first, or null with --no-backup. */
  backup: string | null;
  kinds: KindReport[];
  parity: {
    ok: boolean;
    /** Records compared per module (the source's count). */
    records: Record<string, number>;
    /** The first difference found, or null. */
    difference: string | null;
  };
  /** Things that did not stop the copy but need a person's attention. */
  warnings: string[];
}

/** How one module's records are read and written on each store. */
interface Copier {
  source(db: SqliteDatabase, clock: () => number): RecordKind[];
  target(kv: KvStore, clock: () => number): Promise<RecordKind[]>;
}

const isoOf = (clock: () => number) => () => new Date(clock()).toISOString();

/**
 * Every module that keeps records, with how to copy them. A module missing here whose tables exist in the
 * database makes the command refuse (its records would be left behind); add its copier when it stores data.
 */
const COPIERS: Readonly<Record<string, Copier>> = {
  accounts: {
    source: (db, clock) =>
      accountsSnapshotKinds(createSqliteAccountsStore(db, { clock }), { now: isoOf(clock) }),
    target: async (kv, clock) =>
      accountsSnapshotKinds(await createKvAccountsStore(kv, { clock }), { now: isoOf(clock) }),
  },
  nas: {
    source: (db, clock) => nasSnapshotKinds(createSqliteNasStore(db), { now: clock }),
    target: async (kv, clock) => nasSnapshotKinds(await createKvNasStore(kv), { now: clock }),
  },
};

/** Generated secrets belong to no module's store: on KV they are core's (`core_secrets`). */
const SECRETS_MODULE = 'core';

type Snapshot = Map<string, Map<string, object[]>>;
/** What reading a snapshot needs of a kind (the SQLite side is only ever read). */
type Readable = Pick<RecordKind, 'name' | 'read'>;

async function readAll(modules: ReadonlyMap<string, readonly Readable[]>): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  for (const [module, kinds] of modules) {
    const records = new Map<string, object[]>();
    for (const kind of kinds) records.set(kind.name, await kind.read());
    snapshot.set(module, records);
  }
  return snapshot;
}

/**
 * Runs the migration: checks (nothing is written when one fails), backup, copy kind by kind, parity check.
 * Throws MigrateError (`database_missing`, `database_schema`, `module_not_copied`, `kv_unsafe`) or the NATS
 * errors of openNats before writing anything; a parity failure is reported (`parity.ok` false), not thrown.
 *
 * @example
 *   const report = await migrateToKv({ database, nats, replicas: 1, backup: true, secretKey, schemas, log });
 */
export async function migrateToKv(options: MigrateToKvOptions): Promise<ToKvReport> {
  // One instant for every "is it still live" question, so both stores and both reads agree on it.
  const startedAt = (options.clock ?? Date.now)();
  const clock = () => startedAt;
  const source = openSqliteSource(options.database, options.schemas);
  try {
    const uncopied = source.modules.filter((module) => COPIERS[module] === undefined);
    if (uncopied.length > 0)
      throw new MigrateError(
        'module_not_copied',
        `module ${uncopied.join(', ')} keeps records in ${source.file} that this command cannot copy yet`,
      );
    const dataDir = dirname(source.file);
    const nats = await openNats(options.nats, { dataDir, log: options.log, secretKey: options.secretKey });
    if (nats.state === 'off') throw new MigrateError('kv_unsafe', `no NATS to copy into: ${nats.reason}`);
    try {
      const serverVersion = nats.nc.info?.version ?? 'unknown';
      const unsafe = clusteredKvProblem(nats.nc.info?.version, options.replicas);
      if (unsafe !== undefined)
        throw new MigrateError('kv_unsafe', unsafe.replace(/^HOMEPORT_KV_REPLICAS=/, '--replicas '));

      const backup = options.backup ? backupBeforeKv(source.db, source.file, startedAt) : null;
      if (backup !== null) options.onBackup?.(backup);

      const kvFor = (module: string) =>
        createJetStreamKv({ kvm: nats.kvm, module, replicas: options.replicas });
      const sourceKinds = new Map<string, readonly Readable[]>();
      const targetKinds = new Map<string, readonly RecordKind[]>();
      for (const module of source.modules) {
        const copier = COPIERS[module] as Copier; // every module was checked to have one above
        sourceKinds.set(module, copier.source(source.db, clock));
        targetKinds.set(module, await copier.target(kvFor(module), clock));
      }
      const secrets = kvSecrets(kvFor(SECRETS_MODULE), options.secretKey);
      sourceKinds.set(SECRETS_MODULE, [{ name: secrets.name, read: async () => readFileSecrets(dataDir) }]);
      targetKinds.set(SECRETS_MODULE, [secrets]);

      const wanted = await readConsistently(source.db, () => readAll(sourceKinds));
      const kinds: KindReport[] = [];
      for (const [module, moduleKinds] of targetKinds) {
        for (const kind of moduleKinds) {
          const records = wanted.get(module)?.get(kind.name) ?? [];
          const counts = await copyKind(records, kind).catch((error: unknown) => {
            throw new Error(`${module} ${kind.name}: ${(error as Error).message}`, { cause: error });
          });
          const report = { module, kind: kind.name, ...counts };
          kinds.push(report);
          options.onKind?.(report);
        }
      }

      // Both read again: the check is of what the stores hold now, not of what this run meant to write.
      const after = await readConsistently(source.db, () => readAll(sourceKinds));
      const copied = await readAll(targetKinds);
      let difference: string | undefined;
      const records: Record<string, number> = {};
      for (const [module, moduleKinds] of targetKinds) {
        let count = 0;
        for (const kind of moduleKinds) {
          const sqlite = after.get(module)?.get(kind.name) ?? [];
          count += sqlite.length;
          difference ??= firstDifference(
            `${module} ${kind.name}`,
            kind,
            sqlite,
            copied.get(module)?.get(kind.name) ?? [],
            { source: 'SQLite', target: 'KV' },
          );
        }
        records[module] = count;
      }
      return {
        database: source.file,
        nats: { url: nats.url, serverVersion, replicas: options.replicas },
        backup,
        kinds,
        parity: { ok: difference === undefined, records, difference: difference ?? null },
        warnings: [secretKeyWarning(dataDir, options.secretKey) ?? []].flat(),
      };
    } finally {
      await nats.close();
    }
  } finally {
    source.close();
  }
}
