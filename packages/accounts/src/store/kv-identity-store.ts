// Linked OIDC identities on JetStream KV: the record under its id, issuer + subject as a claim key (one
// Homeport user per provider account), a per-user index; deleting one takes its OIDC session records along.

import { isConflict, type KvBucket, StoreError } from '@homeport/core';
import { AccountsError } from '../errors.js';
import { keys, tokensAfter } from './kv-keys.js';
import { isClaim, isIdentity } from './kv-shapes.js';
import {
  afterLostCreate,
  byFields,
  claim,
  deleteAt,
  deleteRecord,
  mapLimit,
  read,
  readClaimable,
  updateRecord,
} from './kv-support.js';
import type { OidcIdentityRecord, OidcIdentityRepository } from './repositories.js';

const oldestFirst = byFields<OidcIdentityRecord>(
  (identity) => identity.createdAt,
  (identity) => identity.id,
  1,
);

export interface KvIdentityDeps {
  bucket: KvBucket;
  /** Removes the OIDC session records opened through an identity (SQL's ON DELETE CASCADE). */
  dropOidcSessionsOf: (identityId: string) => Promise<void>;
}

export function createKvIdentityRepository({
  bucket,
  dropOidcSessionsOf,
}: KvIdentityDeps): OidcIdentityRepository {
  const byId = async (id: string) => (await readClaimable(bucket, keys.identity(id), isIdentity))?.value;

  const sorted = async (ids: readonly string[], belongs: (identity: OidcIdentityRecord) => boolean) => {
    const found = await mapLimit(ids, byId);
    return found
      .filter((identity): identity is OidcIdentityRecord => identity !== undefined && belongs(identity))
      .sort(oldestFirst);
  };

  return {
    async create(identity) {
      const inUse = () =>
        new AccountsError(
          'oidc_identity_in_use',
          'This provider account is already linked to a Homeport user',
        );
      const subjectKey = keys.identitySubject(identity.issuer, identity.subject);
      const holdsSubject = (record: unknown) =>
        isIdentity(record) && record.issuer === identity.issuer && record.subject === identity.subject;
      const claimed = await claim(bucket, subjectKey, identity.id, keys.identity, holdsSubject);
      if (claimed === undefined) throw inUse();
      const byUser = keys.identityOfUser(identity.userId, identity.id);
      await bucket.put(byUser, {});
      try {
        await bucket.create(keys.identity(identity.id), identity);
      } catch (error) {
        if (!isConflict(error)) throw error; // unavailable: a later create of this subject takes the claim over
        const found = await afterLostCreate(bucket, keys.identity(identity.id), holdsSubject);
        if (found === 'other') await deleteAt(bucket, subjectKey, claimed);
        // The identity stored under this id may be this user's: then the index entry is its own.
        if ((await byId(identity.id))?.userId !== identity.userId) await bucket.delete(byUser);
        if (found === 'lost') throw inUse(); // a concurrent link of this provider account won
        throw new StoreError('store_conflict', `OIDC identity ${identity.id} exists already`, {
          cause: error,
        });
      }
    },
    byId,
    async byIssuerSubject(issuer, subject) {
      const held = await read(bucket, keys.identitySubject(issuer, subject), isClaim);
      const identity = held && (await byId(held.value.owner));
      return identity?.issuer === issuer && identity.subject === subject ? identity : undefined;
    },
    async listForUser(userId) {
      const prefix = keys.identitiesOfUser(userId);
      const ids = (await bucket.keys(prefix)).flatMap((key) => tokensAfter(key, prefix).slice(0, 1));
      return sorted(ids, (identity) => identity.userId === userId);
    },
    async list() {
      const ids = (await bucket.keys(keys.identities)).flatMap((key) => tokensAfter(key, keys.identities));
      return sorted(ids, () => true);
    },
    async recordLogin(id, snapshot, at) {
      await updateRecord(bucket, keys.identity(id), isIdentity, (identity) => ({
        ...identity,
        displayName: snapshot.displayName,
        email: snapshot.email,
        emailVerified: snapshot.emailVerified,
        groups: snapshot.groups,
        lastLoginAt: at,
      }));
    },
    async delete(id) {
      const identity = await byId(id);
      if (!identity) return false;
      // The record first: from here the identity is gone, whatever happens to the rest.
      if (!(await deleteRecord(bucket, keys.identity(id), isIdentity, () => true))) return false;
      const subjectKey = keys.identitySubject(identity.issuer, identity.subject);
      const held = await read(bucket, subjectKey, isClaim);
      if (held?.value.owner === id) await deleteAt(bucket, subjectKey, held.revision);
      await bucket.delete(keys.identityOfUser(identity.userId, id));
      await dropOidcSessionsOf(id);
      return true;
    },
  };
}
