// The key-value port the repositories are written against in kv mode (HOMEPORT_STORE=kv): JSON records
// with revisions, compare-and-set updates with a named conflict error, `create` for uniqueness, and every
// call bounded in time so a store that does not answer fails the request (closed) instead of hanging it.
// kv-jetstream.ts implements it on NATS JetStream KV.

import { errorClass } from '../errors.js';
import type { SqliteDatabase } from './sqlite.js';

const KINDS = {
  /** A create found the key taken, or an update/delete found another revision: re-read and decide. */
  store_conflict: 'conflict',
  /** The store did not answer in time or failed: whatever asked must fail closed. */
  store_unavailable: 'unavailable',
} as const;

export class StoreError extends errorClass(KINDS) {}

export const isConflict = (error: unknown): boolean =>
  error instanceof StoreError && error.code === 'store_conflict';

export interface KvEntry<T> {
  value: T;
  /** Changes with every write of the key; what `update` and `delete` compare against. */
  revision: number;
}

export interface KvBucket {
  readonly name: string;
  get<T>(key: string): Promise<KvEntry<T> | undefined>;
  /** Writes only when the key does not exist (or was deleted); `store_conflict` otherwise. */
  create<T>(key: string, value: T): Promise<number>;
  /** Writes only when the key is still at `revision`; `store_conflict` otherwise. */
  update<T>(key: string, value: T, revision: number): Promise<number>;
  /** Writes whatever is there. */
  put<T>(key: string, value: T): Promise<number>;
  /** Removes the key; with `revision`, only when it is still at it (`store_conflict` otherwise). */
  delete(key: string, revision?: number): Promise<void>;
  /** Keys under a prefix of whole tokens (`user.` lists `user.<id>`; no prefix: every key). */
  keys(prefix?: string): Promise<string[]>;
}

export interface KvBucketOptions {
  /** Entries older than this disappear on their own (a bucket-wide age; NATS 2.9 has no per-key TTL). */
  maxAgeMs?: number;
}

export interface KvStore {
  /** Opens (creating when missing) a bucket of this module's: `<module>_<name>` on the server. */
  bucket(name: string, options?: KvBucketOptions): Promise<KvBucket>;
}

/** What a module builds its repositories on. */
export type StoreDriver = { kind: 'sqlite'; db: SqliteDatabase } | { kind: 'kv'; kv: KvStore };

/**
 * One token of a key from any text (a username, a machine id, an issuer URL): base64url, which uses only
 * characters NATS keys allow and never a `.` or a wildcard. The empty text is `=`.
 */
export const keyToken = (text: string): string =>
  text === '' ? '=' : Buffer.from(text, 'utf8').toString('base64url');

export const fromKeyToken = (token: string): string =>
  token === '=' ? '' : Buffer.from(token, 'base64url').toString('utf8');

/** Runs a store call with retries on conflict: `attempt` re-reads and decides each time. */
export async function withCasRetry<T>(attempt: () => Promise<T>, tries = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error) || i >= tries) throw error;
    }
  }
}
