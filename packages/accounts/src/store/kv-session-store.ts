// Sessions on JetStream KV: the record under its token hash (every request's lookup is one read by key), an
// id index and a per-user index beside it; written index-first and deleted record-first, so a crash between
// writes leaves only index entries that read as nothing and that the sweep or the next delete clears.

import { isConflict, type KvBucket, StoreError } from '@homeport/core';
import { keys, tokensAfter } from './kv-keys.js';
import { isSession, isSessionIndex, type SessionIndex } from './kv-shapes.js';
import { byFields, deleteRecord, mapLimit, read, updateRecord } from './kv-support.js';
import type { SessionRecord, SessionRepository, UserRecord } from './repositories.js';
import { expiredAt, sessionEnded } from './session-rules.js';

export interface KvSessionDeps {
  bucket: KvBucket;
  clock: () => number;
  user: (id: string) => Promise<UserRecord | undefined>;
  /** Removes the OIDC session record of a deleted session (SQL's ON DELETE CASCADE). */
  dropOidcSession: (sessionId: string) => Promise<void>;
}

/** The session repository, and whether a session is stored at all (live or not), for the OIDC records. */
export interface KvSessionRepository extends SessionRepository {
  stored(sessionId: string): Promise<boolean>;
}

interface SessionRef {
  id: string;
  tokenHash: string;
  userId: string;
}

const newestFirst = byFields<SessionRecord>(
  (session) => session.createdAt,
  (session) => session.id,
  -1,
);

export function createKvSessionRepository({
  bucket,
  clock,
  user,
  dropOidcSession,
}: KvSessionDeps): KvSessionRepository {
  const record = async (tokenHash: string) => (await read(bucket, keys.session(tokenHash), isSession))?.value;

  /** The session if live at the clock; `owner` is its user when already read (null: there is none). */
  const live = async (session: SessionRecord | undefined, owner?: UserRecord | null) => {
    if (session === undefined || expiredAt(session.expiresAt, clock())) return undefined;
    const holder = owner === undefined ? await user(session.userId) : owner;
    if (!holder || holder.id !== session.userId) return undefined;
    return sessionEnded(session.createdAt, holder.sessionsNotBefore) ? undefined : session;
  };

  const index = async (sessionId: string) =>
    (await read(bucket, keys.sessionId(sessionId), isSessionIndex))?.value;

  /**
   * Deletes a session: the record first (it ends there), then its OIDC record, its user index entry, and the
   * id index last, so a retry after a crash still finds what is left. True when this call deleted the record.
   */
  const remove = async (ref: SessionRef): Promise<boolean> => {
    const removed = await deleteRecord(
      bucket,
      keys.session(ref.tokenHash),
      isSession,
      (s) => s.id === ref.id,
    );
    await dropOidcSession(ref.id);
    await bucket.delete(keys.sessionOfUser(ref.userId, ref.id, ref.tokenHash));
    await bucket.delete(keys.sessionId(ref.id));
    return removed;
  };

  const refOf = (id: string, entry: SessionIndex): SessionRef => ({
    id,
    tokenHash: entry.tokenHash,
    userId: entry.userId,
  });

  /** The sessions indexed under a user, from the keys alone. */
  const refsOfUser = async (userId: string): Promise<SessionRef[]> => {
    const prefix = keys.sessionsOfUser(userId);
    return (await bucket.keys(prefix)).flatMap((key) => {
      const [id, tokenHash] = tokensAfter(key, prefix);
      return id === undefined || tokenHash === undefined ? [] : [{ id, tokenHash, userId }];
    });
  };

  return {
    async create(session) {
      const conflict = (cause: unknown) =>
        new StoreError('store_conflict', `session ${session.id} exists already`, { cause });
      const entry: SessionIndex = {
        tokenHash: session.tokenHash,
        userId: session.userId,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
      };
      let indexed: number;
      try {
        indexed = await bucket.create(keys.sessionId(session.id), entry);
      } catch (error) {
        throw isConflict(error) ? conflict(error) : error;
      }
      const byUser = keys.sessionOfUser(session.userId, session.id, session.tokenHash);
      await bucket.put(byUser, {});
      try {
        await bucket.create(keys.session(session.tokenHash), session);
      } catch (error) {
        // Unavailable: the index entries stay (they read as nothing) until the sweep passes their expiry.
        if (!isConflict(error)) throw error;
        await bucket.delete(byUser);
        await bucket.delete(keys.sessionId(session.id), indexed);
        throw conflict(error);
      }
    },
    async byTokenHash(tokenHash) {
      return live(await record(tokenHash));
    },
    async byId(sessionId) {
      const entry = await index(sessionId);
      const session = entry && (await record(entry.tokenHash));
      return session?.id === sessionId ? live(session) : undefined;
    },
    async listForUser(userId) {
      const owner = (await user(userId)) ?? null;
      if (owner === null) return [];
      const sessions = await mapLimit(await refsOfUser(userId), async (ref) => {
        const session = await record(ref.tokenHash);
        return session?.id === ref.id ? live(session, owner) : undefined;
      });
      return sessions.filter((session) => session !== undefined).sort(newestFirst);
    },
    async deleteForUser(userId, sessionId) {
      const entry = await index(sessionId);
      if (entry?.userId !== userId) return false;
      return remove(refOf(sessionId, entry));
    },
    async deleteById(sessionId) {
      const entry = await index(sessionId);
      if (entry) await remove(refOf(sessionId, entry));
    },
    async deleteAllForUser(userId, exceptSessionId) {
      const refs = (await refsOfUser(userId)).filter((ref) => ref.id !== exceptSessionId);
      const removed = await mapLimit(refs, remove);
      return removed.filter(Boolean).length;
    },
    async deleteExpired(now) {
      const owners = new Map<string, Promise<UserRecord | undefined>>();
      const ownerOf = (userId: string) => {
        let owner = owners.get(userId);
        if (!owner) {
          owner = user(userId);
          owners.set(userId, owner);
        }
        return owner;
      };
      const removed = await mapLimit(await bucket.keys(keys.sessionIds), async (key) => {
        const [id] = tokensAfter(key, keys.sessionIds);
        const entry = await read(bucket, key, isSessionIndex);
        if (id === undefined || entry === undefined) return false;
        const ended =
          expiredAt(entry.value.expiresAt, now) ||
          sessionEnded(entry.value.createdAt, (await ownerOf(entry.value.userId))?.sessionsNotBefore);
        return ended ? remove(refOf(id, entry.value)) : false;
      });
      return removed.filter(Boolean).length;
    },
    async touch(sessionId, lastSeenAt) {
      const entry = await index(sessionId);
      if (!entry) return;
      await updateRecord(
        bucket,
        keys.session(entry.tokenHash),
        isSession,
        (session) => ({ ...session, lastSeenAt }),
        (session) => session.id === sessionId,
      );
    },
    async stored(sessionId) {
      const entry = await index(sessionId);
      return entry !== undefined && (await record(entry.tokenHash))?.id === sessionId;
    },
  };
}
