// What the SQLite repositories share: transactions that take the write lock at once, and JSON columns.

import type { SqliteDatabase } from '@homeport/core';

/**
 * Runs `work` in a transaction that takes the write lock when it begins (BEGIN IMMEDIATE): a transaction that
 * reads, then writes, would otherwise fail with SQLITE_BUSY when another connection wrote in between, instead
 * of waiting its turn on the busy timeout.
 */
export const writeTransaction =
  <A extends unknown[], R>(db: SqliteDatabase, work: (...args: A) => R) =>
  (...args: A): R =>
    db.transaction(work).immediate(...args);

/** A JSON column's value as the store wrote it (the schema holds nothing else there). */
export const fromJson = <T>(text: string): T => JSON.parse(text) as T;

export const fromJsonOrNull = <T>(text: string | null): T | null =>
  text === null ? null : fromJson<T>(text);

export const toJsonOrNull = (value: unknown): string | null =>
  value === null ? null : JSON.stringify(value);
