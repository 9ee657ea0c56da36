// NATS credentials and the revocation list on the KV port: `cred.<natsPub>` records with index keys by
// identity and by expiry written before them (so a sweep always finds what is stored), and one revocation
// document changed only by compare-and-set, retried, so two replicas never lose each other's entries.

import { isConflict, type KvBucket, withCasRetry } from '@homeport/core';
import { CAS_TRIES, compareText, lastToken, mapBounded, part, readDoc, tokens } from './kv-support.js';
import {
  BusStoreError,
  type NatsCredentialRecord,
  type NatsCredentialRepository,
  type RevocationRepository,
} from './repositories.js';
import { mergeRevocations, sameRevocations } from './revocation-list.js';
import { lowerKey } from './room-checks.js';

const credKey = (natsPub: string) => `cred.${part(natsPub)}`;
const identityKey = (signPub: string, natsPub: string) => `identity.${part(signPub)}.${part(natsPub)}`;
/** Milliseconds in the key, so the sweep picks keys without reading them; the record decides. */
const expiryKey = (expiresAtMs: number, natsPub: string) =>
  `expiry.${Math.floor(expiresAtMs)}.${part(natsPub)}`;
const CRED_FIELDS = ['natsPub', 'signPub', 'issuedAtMs', 'expiresAtMs'] as const;

/** What an expiry key holds: enough to remove the identity key even after the record is gone. */
interface ExpiryDoc {
  signPub: string;
}

export function kvNatsCredentialRepository(bucket: KvBucket): NatsCredentialRepository {
  const read = (key: string) => readDoc<NatsCredentialRecord>(bucket, key, CRED_FIELDS);
  return {
    async record(credential) {
      const record = { ...credential, signPub: lowerKey(credential.signPub) };
      const taken = () =>
        new BusStoreError('bus_credential_taken', 'This NATS key has a live credential of another identity');
      const existing = await read(credKey(record.natsPub));
      if (
        existing &&
        existing.value.signPub !== record.signPub &&
        existing.value.expiresAtMs > record.issuedAtMs
      )
        throw taken();
      await bucket.put(identityKey(record.signPub, record.natsPub), {});
      await bucket.put<ExpiryDoc>(expiryKey(record.expiresAtMs, record.natsPub), { signPub: record.signPub });
      // Recording a credential again (a retry after a lost answer) replaces it; index keys of the earlier
      // one that no longer fit are skipped by readers and removed by the sweep. Written at the revision read,
      // so another identity racing for the same key loses.
      try {
        if (existing) await bucket.update(credKey(record.natsPub), record, existing.revision);
        else await bucket.create(credKey(record.natsPub), record);
      } catch (error) {
        if (isConflict(error)) throw taken();
        throw error;
      }
    },

    async listLive(signPub, nowMs) {
      const identity = lowerKey(signPub);
      const keys = await bucket.keys(`identity.${part(identity)}.`);
      const records = await mapBounded(keys, async (key) => (await read(`cred.${lastToken(key)}`))?.value);
      return records
        .filter((record) => record !== undefined && record.signPub === identity && record.expiresAtMs > nowMs)
        .map((record) => record as NatsCredentialRecord) // filtered above
        .sort((a, b) => a.issuedAtMs - b.issuedAtMs || compareText(a.natsPub, b.natsPub));
    },

    async sweep(nowMs) {
      const due = (await bucket.keys('expiry.')).filter((key) => Number(tokens(key)[1]) <= nowMs);
      const swept = await mapBounded(due, async (key) => {
        const index = await readDoc<ExpiryDoc>(bucket, key, ['signPub']);
        if (index === undefined) return false;
        const natsToken = lastToken(key);
        const outcome = await withCasRetry(async () => {
          const current = await read(`cred.${natsToken}`);
          if (current === undefined) return { gone: true as const };
          if (current.value.expiresAtMs > nowMs) return { live: current.value };
          await bucket.delete(`cred.${natsToken}`, current.revision);
          return { deleted: current.value };
        }, CAS_TRIES);
        if ('live' in outcome) {
          // Its own expiry key, due within the millisecond the key rounds away: it stays for a later sweep.
          if (expiryKey(outcome.live.expiresAtMs, outcome.live.natsPub) === key) return false;
          // Recorded again with a later expiry: only this stale expiry key (and a stale identity key) go.
          if (index.value.signPub !== outcome.live.signPub)
            await bucket.delete(`identity.${part(index.value.signPub)}.${natsToken}`);
          await bucket.delete(key);
          return false;
        }
        // The record is gone: its index keys follow, the expiry key last so a sweep cut short resumes.
        await bucket.delete(`identity.${part(index.value.signPub)}.${natsToken}`);
        if ('deleted' in outcome && outcome.deleted.signPub !== index.value.signPub)
          await bucket.delete(identityKey(outcome.deleted.signPub, outcome.deleted.natsPub));
        await bucket.delete(key);
        return 'deleted' in outcome;
      });
      return swept.filter(Boolean).length;
    },
  };
}

const REVOCATIONS_KEY = 'revocations';

interface RevocationDoc {
  revocations: Record<string, number>;
}

export function kvRevocationRepository(bucket: KvBucket): RevocationRepository {
  const read = () => readDoc<RevocationDoc>(bucket, REVOCATIONS_KEY, ['revocations']);
  return {
    async get() {
      const entry = await read();
      return entry
        ? { revocations: entry.value.revocations, revision: entry.revision }
        : { revocations: {}, revision: 0 };
    },
    add: (entries, pruneBeforeSec) =>
      withCasRetry(async () => {
        const current = await read();
        const before = current?.value.revocations ?? {};
        const merged = mergeRevocations(before, entries, pruneBeforeSec);
        if (sameRevocations(merged, before)) return merged; // nothing to write (SQLite writes nothing either)
        if (current === undefined)
          await bucket.create<RevocationDoc>(REVOCATIONS_KEY, { revocations: merged });
        else await bucket.update<RevocationDoc>(REVOCATIONS_KEY, { revocations: merged }, current.revision);
        return merged;
      }, CAS_TRIES),
  };
}
