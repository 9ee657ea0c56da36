// The store-independent half of `homeport migrate to-kv`: makes one kind of record in the target equal the
// source's (create what is missing, update what differs, remove what the source does not have) and counts
// it, and finds the first difference between two snapshots for the parity check.

import { type SnapshotKind, sameJson } from '@homeport/core';

/** One kind of record of a store, as the accounts and NAS packages describe theirs (core's SnapshotKind). */
export type RecordKind<T = object> = SnapshotKind<T>;

/** What a copy of one kind did. `unresolved`: records the target could not be made to match. */
export interface KindCounts {
  copied: number;
  updated: number;
  unchanged: number;
  removed: number;
  unresolved: number;
}

/** Whether the target's record already stands for the source's. */
export const matches = <T>(kind: RecordKind<T>, wanted: T, current: T): boolean =>
  kind.satisfies ? kind.satisfies(wanted, current) : sameJson(wanted, current);

/**
 * Makes `target`'s records of one kind equal `source` (records of the same kind read from the other store):
 * removals first (they free unique names a new record may need), then updates, then creates. Idempotent: run
 * again, everything counts as unchanged.
 */
export async function copyKind<T>(source: readonly T[], target: RecordKind<T>): Promise<KindCounts> {
  const counts: KindCounts = { copied: 0, updated: 0, unchanged: 0, removed: 0, unresolved: 0 };
  const wanted = new Map(source.map((record) => [target.key(record), record]));
  const current = new Map((await target.read()).map((record) => [target.key(record), record]));
  for (const [key, record] of current) {
    if (wanted.has(key)) continue;
    if (await target.remove(record)) counts.removed += 1;
    else counts.unresolved += 1;
  }
  for (const [key, record] of wanted) {
    const present = current.get(key);
    if (present === undefined) {
      await target.create(record);
      counts.copied += 1;
    } else if (matches(target, record, present)) counts.unchanged += 1;
    else if (await target.update(record, present)) counts.updated += 1;
    else counts.unresolved += 1;
  }
  return counts;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first path (dotted; array items by index) where `a` and `b` differ, or undefined when equal. */
function firstDifferentPath(a: unknown, b: unknown, path: string[] = []): string[] | undefined {
  if (sameJson(a, b)) return undefined;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const found = firstDifferentPath(a[field], b[field], [...path, field]);
      if (found) return found;
    }
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let index = 0; index < a.length; index += 1) {
      const found = firstDifferentPath(a[index], b[index], [...path, String(index)]);
      if (found) return found;
    }
  }
  return path;
}

const valueAt = (record: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (value, field) =>
      isPlainObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined,
    record,
  );

const shown = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value));

export interface Sides {
  /** What the two stores are called in messages: `SQLite`, `KV`. */
  source: string;
  target: string;
}

/**
 * The first difference between two snapshots of one kind, as a sentence; undefined when they hold the same
 * records with the same fields. Values of secret fields are never printed, only that they differ.
 */
export function firstDifference<T>(
  label: string,
  kind: RecordKind<T>,
  source: readonly T[],
  target: readonly T[],
  sides: Sides,
): string | undefined {
  const wanted = new Map(source.map((record) => [kind.key(record), record]));
  const current = new Map(target.map((record) => [kind.key(record), record]));
  for (const key of [...new Set([...wanted.keys(), ...current.keys()])].sort()) {
    const a = wanted.get(key);
    const b = current.get(key);
    if (b === undefined) return `${label} ${key}: in ${sides.source}, missing in ${sides.target}`;
    if (a === undefined) return `${label} ${key}: in ${sides.target}, not in ${sides.source}`;
    if (matches(kind, a, b)) continue;
    const path = firstDifferentPath(a, b) ?? [];
    const dotted = path.join('.');
    const secret = kind.secretFields.some(
      (field) => dotted === field || dotted.startsWith(`${field}.`) || field.startsWith(`${dotted}.`),
    );
    const where = dotted === '' ? 'the record' : dotted;
    return secret
      ? `${label} ${key}: ${where} differs (values withheld)`
      : `${label} ${key}: ${where} is ${shown(valueAt(a, path))} in ${sides.source}, ${shown(valueAt(b, path))} in ${sides.target}`;
  }
  return undefined;
}
