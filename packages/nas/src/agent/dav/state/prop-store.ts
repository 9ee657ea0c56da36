// Dead properties (PROPPATCH) kept in SQLite; every change is one transaction, so a PROPPATCH is all or nothing.

import type { SqliteDatabase } from '@homeport/core';
import { belowRange, parentKey } from './keys.js';

export interface DeadProp {
  ns: string;
  name: string;
  /** The property element's content as self-contained XML (every prefix it uses is declared inside it). */
  value: string;
  /** xml:lang in scope on the property element, if any (RFC 4918 4.3). */
  lang: string | null;
}

export type PropPatchOp = { op: 'set'; prop: DeadProp } | { op: 'remove'; ns: string; name: string };

/** What a PROPPATCH may leave behind: checked after the operations, inside their transaction. */
export interface PropQuota {
  maxPerResource: number;
  maxBytesPerExport: number;
}

export type PatchOutcome =
  | { ok: true }
  | { ok: false; exceeded: 'count'; count: number }
  | { ok: false; exceeded: 'bytes'; bytes: number };

/** Bytes a property takes in the store (and counts against its export's quota). */
export function propBytes(prop: DeadProp): number {
  return (
    Buffer.byteLength(prop.ns) +
    Buffer.byteLength(prop.name) +
    Buffer.byteLength(prop.value) +
    (prop.lang === null ? 0 : Buffer.byteLength(prop.lang))
  );
}

export interface PropStore {
  list(root: string, path: string): DeadProp[];
  /** The keys of the members of collection `parent` that have dead properties, in one indexed query. */
  pathsWithProps(root: string, parent: string): Set<string>;
  /** The properties of each of `paths`, by key, in one indexed query (a batch of a folder listing). */
  listMany(root: string, paths: readonly string[]): Map<string, DeadProp[]>;
  /**
   * Applies the operations in order inside one transaction, and undoes them all when the result breaks
   * `quota` (too many properties on the resource, too many bytes in the export).
   */
  patch(root: string, path: string, ops: readonly PropPatchOp[], quota: PropQuota): PatchOutcome;
  /** Bytes of every dead property of the export at `root`. */
  usage(root: string): number;
  /** Bytes of the properties of `path`, and of everything below it when `deep` (what COPY would add). */
  treeBytes(root: string, path: string, deep: boolean): number;
  /** Copies the properties of `from` (and of everything below it when `deep`) to `to`, replacing what was there. */
  copyTree(root: string, from: string, to: string, deep: boolean): void;
  /** Moves the properties of `from` and everything below it to `to`, replacing what was there. */
  moveTree(root: string, from: string, to: string): void;
  /** Drops the properties of `path` and everything below it. */
  removeTree(root: string, path: string): void;
}

interface PropRow {
  path: string;
  ns: string;
  name: string;
  value: string;
  lang: string | null;
}

const toProp = (row: PropRow): DeadProp => ({ ns: row.ns, name: row.name, value: row.value, lang: row.lang });

export function createPropStore(db: SqliteDatabase): PropStore {
  const list = db.prepare<[string, string], PropRow>(
    'SELECT path, ns, name, value, lang FROM dav_props WHERE root = ? AND path = ?',
  );
  const pathsWithProps = db
    .prepare<[string, string], string>('SELECT DISTINCT path FROM dav_props WHERE root = ? AND parent = ?')
    .pluck();
  // One statement for any number of paths: they travel as one JSON array.
  const listMany = db.prepare<[string, string], PropRow>(
    `SELECT path, ns, name, value, lang FROM dav_props
     WHERE root = ? AND path IN (SELECT value FROM json_each(?))`,
  );
  const upsert = db.prepare(
    `INSERT INTO dav_props (root, path, parent, ns, name, value, lang) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (root, path, ns, name) DO UPDATE SET value = excluded.value, lang = excluded.lang`,
  );
  const removeOne = db.prepare('DELETE FROM dav_props WHERE root = ? AND path = ? AND ns = ? AND name = ?');
  const removeTree = db.prepare(
    'DELETE FROM dav_props WHERE root = ? AND (path = ? OR (path >= ? AND path < ?))',
  );
  // Paths are rewritten in SQL with substr/length so the character counting matches SQLite's own.
  const copyOne = db.prepare(
    `INSERT INTO dav_props (root, path, parent, ns, name, value, lang)
     SELECT root, @to, @toParent, ns, name, value, lang FROM dav_props WHERE root = @root AND path = @from`,
  );
  const copyBelow = db.prepare(
    `INSERT INTO dav_props (root, path, parent, ns, name, value, lang)
     SELECT root, @to || substr(path, length(@from) + 1), @to || substr(parent, length(@from) + 1), ns, name,
       value, lang
     FROM dav_props WHERE root = @root AND path >= @low AND path < @high`,
  );
  const moveOne = db.prepare(
    'UPDATE dav_props SET path = @to, parent = @toParent WHERE root = @root AND path = @from',
  );
  const moveBelow = db.prepare(
    `UPDATE dav_props SET path = @to || substr(path, length(@from) + 1), parent = @to || substr(parent,
       length(@from) + 1) WHERE root = @root AND path >= @low AND path < @high`,
  );

  const countAt = db.prepare<[string, string], { count: number }>(
    'SELECT COUNT(*) AS count FROM dav_props WHERE root = ? AND path = ?',
  );
  const usage = db.prepare<[string], { bytes: number }>('SELECT bytes FROM dav_prop_usage WHERE root = ?');
  const SIZE =
    'length(CAST(ns AS BLOB)) + length(CAST(name AS BLOB)) + length(CAST(value AS BLOB)) + coalesce(length(CAST(lang AS BLOB)), 0)';
  const bytesAt = db.prepare<[string, string], { bytes: number | null }>(
    `SELECT SUM(${SIZE}) AS bytes FROM dav_props WHERE root = ? AND path = ?`,
  );
  const bytesBelow = db.prepare<[string, string, string], { bytes: number | null }>(
    `SELECT SUM(${SIZE}) AS bytes FROM dav_props WHERE root = ? AND path >= ? AND path < ?`,
  );
  const usageOf = (root: string) => usage.get(root)?.bytes ?? 0;

  /** Thrown inside the transaction to roll it back; never leaves this file. */
  class QuotaExceeded extends Error {
    constructor(readonly outcome: PatchOutcome & { ok: false }) {
      super('dead property quota exceeded');
    }
  }

  const dropTree = (root: string, path: string): void => {
    const [low, high] = belowRange(path);
    removeTree.run(root, path, low, high);
  };

  const patch = db.transaction(
    (root: string, path: string, ops: readonly PropPatchOp[], quota: PropQuota) => {
      // Only growth is refused: removing properties from an export already over a (lowered) quota works.
      const countBefore = countAt.get(root, path)?.count ?? 0;
      const bytesBefore = usageOf(root);
      const parent = parentKey(path);
      for (const op of ops) {
        if (op.op === 'set') {
          upsert.run(root, path, parent, op.prop.ns, op.prop.name, op.prop.value, op.prop.lang);
        } else {
          removeOne.run(root, path, op.ns, op.name);
        }
      }
      const count = countAt.get(root, path)?.count ?? 0;
      if (count > quota.maxPerResource && count > countBefore)
        throw new QuotaExceeded({ ok: false, exceeded: 'count', count });
      const bytes = usageOf(root);
      if (bytes > quota.maxBytesPerExport && bytes > bytesBefore)
        throw new QuotaExceeded({ ok: false, exceeded: 'bytes', bytes });
    },
  );

  const copyTree = db.transaction((root: string, from: string, to: string, deep: boolean) => {
    dropTree(root, to);
    copyOne.run({ root, from, to, toParent: parentKey(to) });
    if (deep) {
      const [low, high] = belowRange(from);
      copyBelow.run({ root, from, to, low, high });
    }
  });

  const moveTree = db.transaction((root: string, from: string, to: string) => {
    dropTree(root, to);
    moveOne.run({ root, from, to, toParent: parentKey(to) });
    const [low, high] = belowRange(from);
    moveBelow.run({ root, from, to, low, high });
  });

  return {
    list: (root, path) => list.all(root, path).map(toProp),
    pathsWithProps: (root, parent) => new Set(pathsWithProps.all(root, parent)),
    listMany(root, paths) {
      const byPath = new Map<string, DeadProp[]>();
      if (paths.length === 0) return byPath;
      for (const row of listMany.all(root, JSON.stringify(paths))) {
        const props = byPath.get(row.path);
        if (props === undefined) byPath.set(row.path, [toProp(row)]);
        else props.push(toProp(row));
      }
      return byPath;
    },
    patch(root, path, ops, quota) {
      try {
        // IMMEDIATE (here and below): these read before they write, and WebDAV worker processes share the
        // database; a deferred transaction would fail with SQLITE_BUSY when another process wrote in between,
        // where an immediate one waits for the write lock (busy_timeout) before it reads.
        patch.immediate(root, path, ops, quota);
        return { ok: true };
      } catch (error) {
        if (error instanceof QuotaExceeded) return error.outcome;
        throw error;
      }
    },
    usage: usageOf,
    treeBytes(root, path, deep) {
      let bytes = bytesAt.get(root, path)?.bytes ?? 0;
      if (deep) {
        const [low, high] = belowRange(path);
        bytes += bytesBelow.get(root, low, high)?.bytes ?? 0;
      }
      return bytes;
    },
    copyTree: (root, from, to, deep) => copyTree.immediate(root, from, to, deep),
    moveTree: (root, from, to) => moveTree.immediate(root, from, to),
    removeTree: dropTree,
  };
}
