// The credential repository on the KV port: `cred.<username>` records, index keys by node, user, export
// and expiry written before the record (so revocation always finds a stored credential), and the
// revocation counter bumped after the marks it announces.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, lastToken, mapBounded, part, readDoc } from './kv-support.js';
import type { CredentialFilter, CredentialRecord, CredentialRepository } from './repositories.js';
import { uniquenessConflict } from './store-errors.js';

/**
 * A stored credential; a revoked one remembers the revocation version that announces it. Credentials
 * stored before share links have no `shareId` (read as null).
 */
interface CredentialDoc extends Omit<CredentialRecord, 'shareId'> {
  shareId?: string | null;
  announcedBy?: number;
}

/** What an expiry key holds: enough to remove the other index keys even after the record is gone. */
interface ExpiryDoc {
  username: string;
  nodeId: string;
  userId: string | null;
  exportId: string;
  shareId?: string | null;
}

const COUNTER_KEY = 'revocations';
const credKey = (username: string) => `cred.${part(username)}`;
/** The record an index key names (index keys end in the username's token). */
const recordKeyOf = (key: string) => (key.startsWith('cred.') ? key : `cred.${lastToken(key)}`);
/** The static client token's credentials (no user) list under `-`, which no text's token is. */
const userPart = (userId: string | null) => (userId === null ? '-' : part(userId));
const userPrefix = (userId: string | null) => `user.${userPart(userId)}.`;
const CRED_FIELDS = [
  'username',
  'userId',
  'exportId',
  'nodeId',
  'issuedAt',
  'expiresAt',
  'revokedAt',
] as const;

/**
 * The index keys of a credential; the expiry key last (the sweep deletes it last). A share link's credential
 * is listed under its link instead of a user: it has no holder, and must not count as the client token's.
 */
function indexKeys(credential: ExpiryDoc & { expiresAt: number }): string[] {
  const name = part(credential.username);
  const shareId = credential.shareId ?? null;
  return [
    `node.${part(credential.nodeId)}.${name}`,
    shareId === null ? `${userPrefix(credential.userId)}${name}` : `share.${part(shareId)}.${name}`,
    `export.${part(credential.exportId)}.${name}`,
    // Whole seconds in the key, so the sweep filters keys without reading them; the record decides.
    `expiry.${Math.floor(credential.expiresAt)}.${name}`,
  ];
}

const expiryDoc = ({ username, nodeId, userId, exportId, shareId }: CredentialDoc): ExpiryDoc => ({
  username,
  nodeId,
  userId,
  exportId,
  shareId: shareId ?? null,
});

const toRecord = ({ announcedBy: _announcedBy, shareId, ...record }: CredentialDoc): CredentialRecord => ({
  ...record,
  shareId: shareId ?? null,
});

const matches = (credential: CredentialDoc, filter: CredentialFilter) =>
  (filter.shareId === undefined || credential.shareId === filter.shareId) &&
  (filter.username === undefined || credential.username === filter.username) &&
  (filter.userId === undefined || credential.userId === filter.userId) &&
  (filter.exportId === undefined || credential.exportId === filter.exportId) &&
  (filter.nodeId === undefined || credential.nodeId === filter.nodeId);

const isActive = (credential: CredentialDoc, nowSeconds: number) =>
  credential.revokedAt === null && credential.expiresAt > nowSeconds;

const newestFirst = (a: CredentialRecord, b: CredentialRecord) =>
  compareText(b.issuedAt, a.issuedAt) || compareText(a.username, b.username);

export function kvCredentialRepository(bucket: KvBucket): CredentialRepository {
  const read = (key: string) => readDoc<CredentialDoc>(bucket, key, CRED_FIELDS);

  /** The credentials behind keys (records or index keys), read at once; missing ones left out. */
  const readAll = async (keys: readonly string[]): Promise<CredentialDoc[]> => {
    const docs = await mapBounded(keys, async (key) => (await read(recordKeyOf(key)))?.value);
    return docs.filter((doc) => doc !== undefined);
  };

  /** Keys whose credentials may match: the narrowest index the filter names. */
  const candidates = async (filter: CredentialFilter): Promise<string[]> => {
    if (filter.username !== undefined) return [credKey(filter.username)];
    if (filter.shareId !== undefined) return bucket.keys(`share.${part(filter.shareId)}.`);
    if (filter.userId !== undefined) return bucket.keys(userPrefix(filter.userId));
    if (filter.exportId !== undefined) return bucket.keys(`export.${part(filter.exportId)}.`);
    if (filter.nodeId !== undefined) return bucket.keys(`node.${part(filter.nodeId)}.`);
    return bucket.keys('cred.');
  };

  const version = async (): Promise<{ value: number; revision: number } | undefined> =>
    bucket.get<number>(COUNTER_KEY);

  const bump = () =>
    withCasRetry(async () => {
      const current = await version();
      if (current === undefined) await bucket.create(COUNTER_KEY, 1);
      else await bucket.update(COUNTER_KEY, current.value + 1, current.revision);
    }, CAS_TRIES);

  return {
    async create(credential) {
      const keys = indexKeys(credential);
      const index = expiryDoc(credential);
      await Promise.all(keys.map((key) => bucket.put(key, index)));
      try {
        await bucket.create<CredentialDoc>(credKey(credential.username), credential);
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Taken: the index keys go back to what the stored credential has.
        const stored = await read(credKey(credential.username));
        const theirs = stored ? indexKeys(stored.value) : [];
        await Promise.all(keys.filter((key) => !theirs.includes(key)).map((key) => bucket.delete(key)));
        if (stored) await Promise.all(theirs.map((key) => bucket.put(key, expiryDoc(stored.value))));
        throw uniquenessConflict('username', `Credential ${credential.username} already exists`, error);
      }
    },

    async revoke(filter, at, nowSeconds) {
      const announcing = ((await version())?.value ?? 0) + 1;
      let changed = 0;
      let unannounced = false;
      const keys = await candidates(filter);
      await mapBounded(keys, (key) =>
        withCasRetry(async () => {
          const current = await read(recordKeyOf(key));
          if (current === undefined || !matches(current.value, filter)) return;
          if (current.value.expiresAt <= nowSeconds) return;
          if (current.value.revokedAt !== null) {
            // Marked by a call that never bumped the counter (cut short): this one announces it.
            if ((current.value.announcedBy ?? 0) >= announcing) unannounced = true;
            return;
          }
          const marked: CredentialDoc = { ...current.value, revokedAt: at, announcedBy: announcing };
          await bucket.update(credKey(current.value.username), marked, current.revision);
          changed += 1;
        }, CAS_TRIES),
      );
      if (changed > 0 || unannounced) await bump();
      return changed;
    },

    async revokedForNode(nodeId, nowSeconds) {
      const docs = await readAll(await bucket.keys(`node.${part(nodeId)}.`));
      return docs
        .filter((doc) => doc.nodeId === nodeId && doc.revokedAt !== null && doc.expiresAt > nowSeconds)
        .map((doc) => doc.username)
        .sort(compareText);
    },

    async revocationVersion() {
      return (await version())?.value ?? 0;
    },

    raiseRevocationVersion: (to) =>
      withCasRetry(async () => {
        const current = await version();
        if (current !== undefined && current.value >= to) return current.value;
        if (current === undefined) {
          if (to <= 0) return 0;
          await bucket.create(COUNTER_KEY, to);
        } else await bucket.update(COUNTER_KEY, to, current.revision);
        return to;
      }, CAS_TRIES),

    async listActive(nowSeconds) {
      const docs = await readAll(await bucket.keys('cred.'));
      return docs
        .filter((doc) => isActive(doc, nowSeconds))
        .map(toRecord)
        .sort(newestFirst);
    },

    async listActiveForUser(userId, nowSeconds) {
      const docs = await readAll(await bucket.keys(userPrefix(userId)));
      return docs
        .filter((doc) => doc.userId === userId && isActive(doc, nowSeconds))
        .map(toRecord)
        .sort(newestFirst);
    },

    async byUsername(username) {
      const doc = await read(credKey(username));
      return doc && toRecord(doc.value);
    },

    async countActive(userId, nowSeconds) {
      const docs = await readAll(await bucket.keys(userPrefix(userId)));
      return docs.filter(
        (doc) => doc.userId === userId && (doc.shareId ?? null) === null && isActive(doc, nowSeconds),
      ).length;
    },

    async countActiveForShare(shareId, nowSeconds) {
      const docs = await readAll(await bucket.keys(`share.${part(shareId)}.`));
      return docs.filter((doc) => doc.shareId === shareId && isActive(doc, nowSeconds)).length;
    },

    async deleteExpired(nowSeconds) {
      const due = (await bucket.keys('expiry.')).filter((key) => Number(key.split('.')[1]) <= nowSeconds);
      const deleted = await mapBounded(due, async (key) => {
        const index = await readDoc<ExpiryDoc>(bucket, key, ['username', 'nodeId', 'userId', 'exportId']);
        if (index === undefined) return false;
        const { username } = index.value;
        const outcome = await withCasRetry(async () => {
          const current = await read(credKey(username));
          if (current === undefined) return { gone: true as const };
          if (current.value.expiresAt > nowSeconds) return { live: current.value };
          await bucket.delete(credKey(username), current.revision);
          return { deleted: current.value };
        }, CAS_TRIES);
        if ('live' in outcome) {
          // Not this credential's key (left by a create that found the name taken): only it goes.
          if (indexKeys(outcome.live).includes(key)) return false;
          const stray = indexKeys({ ...index.value, expiresAt: Math.floor(Number(key.split('.')[1])) });
          const theirs = indexKeys(outcome.live);
          for (const stale of stray.filter((item) => !theirs.includes(item))) await bucket.delete(stale);
          return false;
        }
        // The record is gone: its index keys follow, the expiry key last so a sweep cut short resumes.
        const keys = indexKeys('deleted' in outcome ? outcome.deleted : { ...index.value, expiresAt: 0 });
        for (const stale of keys.slice(0, -1)) await bucket.delete(stale);
        await bucket.delete(key);
        return 'deleted' in outcome;
      });
      return deleted.filter(Boolean).length;
    },
  };
}
