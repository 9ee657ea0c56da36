// How a module describes its records for copying a whole store into another (`homeport migrate to-kv`):
// each kind read in full and written record by record with its ids, through the repositories, so one
// description serves every store and two snapshots compare field by field.

/** One kind of record of a store. Accounts and NAS declare theirs; the migration's copier works on any. */
export interface SnapshotKind<T = object> {
  /** `users`, `exports`, … (progress lines and reports). */
  readonly name: string;
  /** What tells two records of this kind apart (the id, or what stands for it). */
  key(record: T): string;
  /** Fields (dotted paths) whose values a report must never print (hashes, sealed values). */
  readonly secretFields: readonly string[];
  /** Every record, normalised (the declared fields only, in one order, absent ones left out), by key. */
  read(): Promise<T[]>;
  /** Writes a record the store does not hold, with its id. */
  create(record: T): Promise<void>;
  /** Makes the stored `current` equal `wanted` (same key); false when this store cannot. */
  update(wanted: T, current: T): Promise<boolean>;
  /** Removes a record the source does not have; false when this store cannot remove this kind. */
  remove(current: T): Promise<boolean>;
  /** Whether `current` already stands for `wanted`; default: equal JSON (`sameJson`). */
  satisfies?(wanted: T, current: T): boolean;
}

/** Keeps the fields named, in that order, leaving out absent ones: equal records give equal JSON. */
export function pickFields<T extends object>(record: T, fields: readonly (keyof T)[]): T {
  const out: Partial<T> = {};
  for (const field of fields) if (record[field] !== undefined) out[field] = record[field];
  return out as T; // every declared field that the record has was copied
}

/** Whether two normalised records are equal (same fields, same order, same values). */
export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
