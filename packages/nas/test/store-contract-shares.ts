// Contract of ShareRepository (unique ids, ordering, what is active, revocation, counters, the sweep), of
// AttemptRepository (fixed windows, no failure lost), and of credentials opened through a share link.

import { StoreError } from '@homeport/core';
import { describe, expect, it } from 'vitest';
import type { NasStore, ShareRecord } from '../src/control/store/repositories.js';
import type { Concurrently } from './store-contract.js';
import { AWKWARD_IDS, credentialRecord, settle, thrown } from './store-contract-fixtures.js';

const NOW = 1_000;
const AT = '2026-05-01T00:00:00.000Z';

let sequence = 0;
function shareRecord(overrides: Partial<ShareRecord> = {}): ShareRecord {
  sequence += 1;
  return {
    id: `shr_${sequence}`,
    exportId: 'exp_a',
    path: '/Holidays',
    kind: 'folder',
    mode: 'view',
    secretHash: 'ab'.repeat(32),
    passwordHash: null,
    createdBy: 'user_ann',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: 2_000,
    revokedAt: null,
    opens: 0,
    lastOpenedAt: null,
    ...overrides,
  };
}

export function shareContract(store: () => NasStore, concurrently: Concurrently): void {
  const created = async (overrides: Partial<ShareRecord> = {}) => {
    const share = shareRecord(overrides);
    await store().shares.create(share);
    return share;
  };
  const ids = (records: readonly ShareRecord[]) => records.map((record) => record.id);

  describe('share links', () => {
    it('stores a link under its unique id, and refuses a second one with that id', async () => {
      const share = await created({ passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y', mode: 'drop' });
      expect(await store().shares.byId(share.id)).toEqual(share);
      expect(await store().shares.byId('shr_nobody')).toBeUndefined();
      const error = await thrown(store().shares.create({ ...share, createdBy: 'user_other' }));
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'store_conflict', details: { field: 'id' } });
      expect(await store().shares.byId(share.id)).toEqual(share);
      // The refused copy is nobody's link.
      expect(await store().shares.listForCreator('user_other')).toEqual([]);
      expect(await store().shares.countActive('user_other', NOW)).toBe(0);
    });

    it('lists links newest first (then by id), all or one creator’s, and counts the active ones', async () => {
      const old = await created({ id: 'shr_old', createdAt: '2026-01-01T00:00:00.000Z' });
      const tieB = await created({ id: 'shr_tie_b', createdAt: '2026-01-03T00:00:00.000Z' });
      const tieA = await created({ id: 'shr_tie_a', createdAt: '2026-01-03T00:00:00.000Z' });
      const bob = await created({
        id: 'shr_bob',
        createdBy: 'user_bob',
        createdAt: '2026-01-04T00:00:00.000Z',
      });
      const expired = await created({
        id: 'shr_expired',
        expiresAt: NOW,
        createdAt: '2026-01-02T00:00:00.000Z',
      });
      const revoked = await created({ id: 'shr_revoked', createdAt: '2026-01-02T00:00:00.000Z' });
      expect(await store().shares.revoke(revoked.id, AT)).toBe(true);

      expect(ids(await store().shares.list())).toEqual([
        bob.id,
        tieA.id,
        tieB.id,
        expired.id,
        revoked.id,
        old.id,
      ]);
      expect(ids(await store().shares.listForCreator('user_ann'))).toEqual([
        tieA.id,
        tieB.id,
        expired.id,
        revoked.id,
        old.id,
      ]);
      expect(await store().shares.countActive('user_ann', NOW)).toBe(3);
      expect(await store().shares.countActive('user_bob', NOW)).toBe(1);
      expect(await store().shares.countActive('user_bob', 2_000)).toBe(0);
      expect(await store().shares.listForCreator('user_nobody')).toEqual([]);
    });

    it('revokes a link once: a second revocation and an unknown id change nothing', async () => {
      const share = await created();
      expect(await store().shares.revoke(share.id, AT)).toBe(true);
      expect(await store().shares.byId(share.id)).toEqual({ ...share, revokedAt: AT });
      expect(await store().shares.revoke(share.id, '2027-01-01T00:00:00.000Z')).toBe(false);
      expect(await store().shares.byId(share.id)).toEqual({ ...share, revokedAt: AT });
      expect(await store().shares.revoke('shr_nobody', AT)).toBe(false);
    });

    it('counts openings, and ignores an unknown id', async () => {
      const share = await created();
      await store().shares.recordOpen(share.id, AT);
      await store().shares.recordOpen(share.id, '2026-05-02T00:00:00.000Z');
      await store().shares.recordOpen('shr_nobody', AT);
      expect(await store().shares.byId(share.id)).toEqual({
        ...share,
        opens: 2,
        lastOpenedAt: '2026-05-02T00:00:00.000Z',
      });
      expect(await store().shares.byId('shr_nobody')).toBeUndefined();
    });

    it('deletes links expired by a time, revoked or not, and keeps the others', async () => {
      const gone = await created({ expiresAt: 500 });
      const goneRevoked = await created({ expiresAt: 600 });
      await store().shares.revoke(goneRevoked.id, AT);
      const kept = await created({ expiresAt: 601 });
      expect(await store().shares.deleteExpired(600)).toBe(2);
      expect(ids(await store().shares.list())).toEqual([kept.id]);
      expect(await store().shares.byId(gone.id)).toBeUndefined();
      expect(await store().shares.listForCreator('user_ann')).toEqual([kept]);
      expect(await store().shares.deleteExpired(600)).toBe(0);
    });

    it('keeps ids and creators that are awkward as key tokens apart', async () => {
      for (const [index, id] of AWKWARD_IDS.entries())
        await created({ id: `shr_${id}`, createdBy: id, createdAt: `2026-01-0${index + 1}T00:00:00.000Z` });
      for (const id of AWKWARD_IDS) {
        expect(ids(await store().shares.listForCreator(id))).toEqual([`shr_${id}`]);
        expect((await store().shares.byId(`shr_${id}`))?.createdBy).toBe(id);
      }
    });

    concurrently(() => {
      it('loses no opening of concurrent visitors, and one of concurrent revocations wins', async () => {
        const share = await created();
        await Promise.all(Array.from({ length: 8 }, () => store().shares.recordOpen(share.id, AT)));
        const { fulfilled } = await settle(
          Array.from({ length: 4 }, (_, i) =>
            store().shares.revoke(share.id, `2026-05-0${i + 1}T00:00:00.000Z`),
          ),
        );
        expect(fulfilled.filter((won) => won === true)).toHaveLength(1);
        expect(await store().shares.byId(share.id)).toMatchObject({
          opens: 8,
          revokedAt: expect.any(String),
        });
      });

      it('loses no failure counted concurrently under one key', async () => {
        await Promise.all(
          Array.from({ length: 8 }, () => store().attempts.fail('ip:10.0.0.1', 5_000, 60_000)),
        );
        expect(await store().attempts.current('ip:10.0.0.1', 5_000, 60_000)).toEqual({
          count: 8,
          windowStart: 5_000,
        });
      });
    });
  });

  describe('password attempts', () => {
    it('counts failures per key in a window, and starts a new one when it ended', async () => {
      expect(await store().attempts.current('share:shr_1', 10_000, 1_000)).toEqual({
        count: 0,
        windowStart: 10_000,
      });
      expect(await store().attempts.fail('share:shr_1', 10_000, 1_000)).toEqual({
        count: 1,
        windowStart: 10_000,
      });
      expect(await store().attempts.fail('share:shr_1', 10_500, 1_000)).toEqual({
        count: 2,
        windowStart: 10_000,
      });
      expect(await store().attempts.fail('ip:::1', 10_500, 1_000)).toEqual({ count: 1, windowStart: 10_500 });
      expect(await store().attempts.current('share:shr_1', 10_999, 1_000)).toEqual({
        count: 2,
        windowStart: 10_000,
      });
      // The window ended: nothing counts any more, and the next failure opens a new one.
      expect(await store().attempts.current('share:shr_1', 11_000, 1_000)).toEqual({
        count: 0,
        windowStart: 11_000,
      });
      expect(await store().attempts.fail('share:shr_1', 11_200, 1_000)).toEqual({
        count: 1,
        windowStart: 11_200,
      });
      await store().attempts.deleteStale(20_000);
      expect((await store().attempts.current('share:shr_1', 11_300, 1_000)).count).toBeLessThanOrEqual(1);
    });
  });

  describe('credentials of share links', () => {
    it('counts, revokes and keeps apart the credentials opened through a link', async () => {
      const linkA = credentialRecord({ userId: null, shareId: 'shr_a', username: 'share-a1' });
      const linkA2 = credentialRecord({ userId: null, shareId: 'shr_a', username: 'share-a2' });
      const linkB = credentialRecord({ userId: null, shareId: 'shr_b', username: 'share-b1' });
      const client = credentialRecord({ userId: null, username: 'mount-client' });
      for (const credential of [linkA, linkA2, linkB, client]) await store().credentials.create(credential);

      expect(await store().credentials.byUsername(linkA.username)).toEqual(linkA);
      expect(await store().credentials.countActiveForShare('shr_a', NOW)).toBe(2);
      // A link's credentials are not the static client token's.
      expect(await store().credentials.countActive(null, NOW)).toBe(1);

      const before = await store().credentials.revocationVersion();
      expect(await store().credentials.revoke({ shareId: 'shr_a' }, AT, NOW)).toBe(2);
      expect(await store().credentials.revocationVersion()).toBe(before + 1);
      expect(await store().credentials.byUsername(linkA2.username)).toMatchObject({ revokedAt: AT });
      expect(await store().credentials.byUsername(linkB.username)).toMatchObject({ revokedAt: null });
      expect(await store().credentials.countActiveForShare('shr_a', NOW)).toBe(0);
      expect(await store().credentials.revokedForNode(linkA.nodeId, NOW)).toEqual(['share-a1', 'share-a2']);

      // Swept at expiry like any other.
      expect(await store().credentials.deleteExpired(linkA.expiresAt)).toBe(4);
      expect(await store().credentials.byUsername(linkB.username)).toBeUndefined();
    });
  });
}
