// Imports a betterNAS control plane's users, nodes and exports into Homeport: plan, report, and — when asked
// — back up Homeport's database and write the plan in one transaction.

import type { SqliteDatabase } from '@homeport/core';
import { backupDatabase } from './backup.js';
import { type ImportPlan, type PlanEntry, planImport } from './betternas-plan.js';
import type { BetternasSnapshot } from './betternas-source.js';
import { type ImportTarget, importTarget, type UserRecord } from './stores.js';

export interface MigrateFromBetternasOptions {
  snapshot: BetternasSnapshot;
  /** Homeport's database, every module's migrations applied. */
  db: SqliteDatabase;
  /** Homeport's data dir (absolute); the backup goes to its `backups/` folder. */
  dataDir: string;
  /** Write; without it nothing is written (a dry run). */
  apply: boolean;
  /** The imported user who becomes an admin (betterNAS has no roles: the others are members). */
  admin?: string | undefined;
  clock?: () => number;
}

export interface ReportEntry {
  id: string;
  notes: string[];
  /** Users only: the role they get (or got). */
  role?: UserRecord['role'];
}

/** One kind of record (users, nodes or exports): created (or to create), found unchanged, skipped. */
export interface KindReport {
  create: ReportEntry[];
  unchanged: ReportEntry[];
  skipped: { id: string; reason: string }[];
}

export interface MigrationReport {
  source: string;
  dataDir: string;
  /** True without --apply: the report is a plan, and nothing was written. */
  dryRun: boolean;
  /** True when this run wrote to Homeport's database. */
  applied: boolean;
  /** The backup taken before writing, or null when nothing was written. */
  backup: string | null;
  users: KindReport;
  nodes: KindReport;
  exports: KindReport;
  sessions: { count: number; reason: string };
}

export const SESSIONS_NOT_IMPORTED =
  'Homeport keeps only hashes of session tokens, so betterNAS sessions cannot carry over: users sign in again';

const BACKUP_PREFIX = 'homeport-before-betternas';

function kindReport<T>(
  entries: readonly PlanEntry<T>[],
  role?: (record: T) => UserRecord['role'],
): KindReport {
  const report: KindReport = { create: [], unchanged: [], skipped: [] };
  for (const entry of entries) {
    if (entry.action === 'skip') report.skipped.push({ id: entry.id, reason: entry.reason });
    else if (entry.action === 'unchanged') report.unchanged.push({ id: entry.id, notes: entry.notes });
    else {
      report.create.push({
        id: entry.id,
        notes: entry.notes,
        ...(role === undefined ? {} : { role: role(entry.record) }),
      });
    }
  }
  return report;
}

const creates = <T>(entries: readonly PlanEntry<T>[]): T[] =>
  entries.flatMap((entry) => (entry.action === 'create' ? [entry.record] : []));

const changeCount = (plan: ImportPlan) =>
  creates(plan.users).length + creates(plan.nodes).length + creates(plan.exports).length;

/** Nodes before their exports: an export references its node. */
async function write(target: ImportTarget, plan: ImportPlan): Promise<void> {
  for (const user of creates(plan.users)) await target.users.create(user);
  for (const node of creates(plan.nodes)) await target.nodes.save(node);
  for (const record of creates(plan.exports)) await target.exports.put(record);
}

/**
 * Plans the import and, with `apply`, performs it. Nothing is written (and no backup taken) when the plan
 * holds nothing to create, so a second run after a successful one is a no-op.
 *
 * @example
 *   const report = await migrateFromBetternas({ snapshot: readBetternasDatabase(file), db, dataDir, apply: false });
 */
export async function migrateFromBetternas(options: MigrateFromBetternasOptions): Promise<MigrationReport> {
  const { db } = options;
  const clock = options.clock ?? Date.now;
  const target = importTarget(db);
  const planOptions = { admin: options.admin, now: clock() };
  let plan = await planImport(options.snapshot, target, planOptions);
  let backup: string | null = null;

  if (options.apply && changeCount(plan) > 0) {
    backup = await backupDatabase(db, options.dataDir, BACKUP_PREFIX, clock());
    // The stores' calls are async (so another store can implement them), which better-sqlite3's
    // db.transaction() cannot wrap; this connection does nothing else meanwhile, so BEGIN/COMMIT are safe.
    db.exec('BEGIN IMMEDIATE');
    try {
      // Planned again under the write lock: a server left running may have changed Homeport since.
      plan = await planImport(options.snapshot, target, planOptions);
      await write(target, plan);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  return {
    source: options.snapshot.file,
    dataDir: options.dataDir,
    dryRun: !options.apply,
    applied: backup !== null,
    backup,
    users: kindReport(plan.users, (user) => user.role),
    nodes: kindReport(plan.nodes),
    exports: kindReport(plan.exports),
    sessions: { count: plan.sessionCount, reason: SESSIONS_NOT_IMPORTED },
  };
}
