// Contract of CredentialRepository (unique ids, revocation and its counter, what is active, ordering,
// expiry) and of SettingRepository.

import { StoreError } from '@homeport/core';
import { describe, expect, it } from 'vitest';
import type { CredentialRecord, NasStore } from '../src/control/store/repositories.js';
import type { Concurrently } from './store-contract.js';
import { AWKWARD_IDS, credentialRecord, thrown } from './store-contract-fixtures.js';

const NOW = 1_000;
const AT = '2026-05-01T00:00:00.000Z';

export function credentialContract(store: () => NasStore, concurrently: Concurrently): void {
  const created = async (overrides: Partial<CredentialRecord> = {}) => {
    const credential = credentialRecord(overrides);
    await store().credentials.create(credential);
    return credential;
  };
  const names = (records: readonly CredentialRecord[]) => records.map((record) => record.username);

  describe('credentials', () => {
    it('stores a credential under its unique username', async () => {
      const credential = await created({ userId: null, readonly: true });
      expect(await store().credentials.byUsername(credential.username)).toEqual(credential);
      expect(await store().credentials.byUsername('mount-nobody')).toBeUndefined();
      const error = await thrown(
        store().credentials.create({ ...credential, userId: 'user_other', nodeId: 'node_other' }),
      );
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'store_conflict', details: { field: 'username' } });
      expect(await store().credentials.byUsername(credential.username)).toEqual(credential);
      // The refused copy left nothing that would count or revoke under its fields.
      expect(await store().credentials.countActive('user_other', NOW)).toBe(0);
      expect(await store().credentials.revoke({ nodeId: 'node_other' }, AT, NOW)).toBe(0);
      expect(await store().credentials.countActive(null, NOW)).toBe(1);
    });

    it('raises the revocation version to a given number, never lowering it', async () => {
      expect(await store().credentials.raiseRevocationVersion(0)).toBe(0);
      expect(await store().credentials.revocationVersion()).toBe(0);
      expect(await store().credentials.raiseRevocationVersion(7)).toBe(7);
      expect(await store().credentials.raiseRevocationVersion(3)).toBe(7);
      expect(await store().credentials.revocationVersion()).toBe(7);
      await created({ userId: 'user_ann' });
      expect(await store().credentials.revoke({ userId: 'user_ann' }, AT, NOW)).toBe(1);
      expect(await store().credentials.revocationVersion()).toBe(8);
    });

    it('revokes the active credentials matching every given field, and bumps the version once per call that changed any', async () => {
      expect(await store().credentials.revocationVersion()).toBe(0);
      const ann1 = await created({ userId: 'user_ann', exportId: 'exp_1', nodeId: 'node_1' });
      const ann2 = await created({ userId: 'user_ann', exportId: 'exp_2', nodeId: 'node_1' });
      const bob1 = await created({ userId: 'user_bob', exportId: 'exp_1', nodeId: 'node_1' });
      const bob3 = await created({ userId: 'user_bob', exportId: 'exp_3', nodeId: 'node_2' });
      const client = await created({ userId: null, exportId: 'exp_3', nodeId: 'node_2' });
      const expired = await created({
        userId: 'user_ann',
        exportId: 'exp_1',
        nodeId: 'node_1',
        expiresAt: NOW,
      });

      expect(await store().credentials.revoke({ userId: 'user_ann', exportId: 'exp_1' }, AT, NOW)).toBe(1);
      expect(await store().credentials.revocationVersion()).toBe(1);
      expect(await store().credentials.byUsername(ann1.username)).toEqual({ ...ann1, revokedAt: AT });
      expect(await store().credentials.byUsername(expired.username)).toEqual(expired);
      expect(await store().credentials.byUsername(ann2.username)).toEqual(ann2);

      // Nothing left to change: no bump.
      expect(await store().credentials.revoke({ userId: 'user_ann', exportId: 'exp_1' }, AT, NOW)).toBe(0);
      expect(await store().credentials.revoke({ userId: 'user_nobody' }, AT, NOW)).toBe(0);
      expect(await store().credentials.revocationVersion()).toBe(1);

      expect(await store().credentials.revoke({ exportId: 'exp_1' }, AT, NOW)).toBe(1);
      expect(await store().credentials.byUsername(bob1.username)).toMatchObject({ revokedAt: AT });
      expect(await store().credentials.revoke({ nodeId: 'node_2', userId: 'user_bob' }, AT, NOW)).toBe(1);
      expect(await store().credentials.byUsername(client.username)).toMatchObject({ revokedAt: null });
      expect(await store().credentials.revoke({ username: client.username }, AT, NOW)).toBe(1);
      expect(await store().credentials.revoke({ nodeId: 'node_1' }, AT, NOW)).toBe(1);
      expect(await store().credentials.byUsername(ann2.username)).toMatchObject({ revokedAt: AT });
      expect(await store().credentials.byUsername(bob3.username)).toMatchObject({ revokedAt: AT });
      expect(await store().credentials.revocationVersion()).toBe(5);
    });

    it('lists a node’s revoked, unexpired credential ids, sorted', async () => {
      const b = await created({ username: 'mount-b', nodeId: 'node_r' });
      const a = await created({ username: 'mount-a', nodeId: 'node_r' });
      await created({ username: 'mount-c', nodeId: 'node_r' });
      const gone = await created({ username: 'mount-d', nodeId: 'node_r', expiresAt: NOW + 1 });
      await created({ username: 'mount-e', nodeId: 'node_elsewhere' });
      for (const credential of [b, a, gone])
        await store().credentials.revoke({ username: credential.username }, AT, NOW);
      await store().credentials.revoke({ nodeId: 'node_elsewhere' }, AT, NOW);
      expect(await store().credentials.revokedForNode('node_r', NOW)).toEqual([
        'mount-a',
        'mount-b',
        'mount-d',
      ]);
      expect(await store().credentials.revokedForNode('node_r', NOW + 1)).toEqual(['mount-a', 'mount-b']);
      expect(await store().credentials.revokedForNode('node_nobody', NOW)).toEqual([]);
    });

    it('lists and counts active credentials newest first (then by username), per user and for the client token', async () => {
      const old = await created({ username: 'mount-old', issuedAt: '2026-01-01T00:00:00.000Z' });
      const tieB = await created({ username: 'mount-tie-b', issuedAt: '2026-01-03T00:00:00.000Z' });
      const tieA = await created({ username: 'mount-tie-a', issuedAt: '2026-01-03T00:00:00.000Z' });
      const client = await created({
        username: 'mount-client',
        userId: null,
        issuedAt: '2026-01-02T00:00:00.000Z',
      });
      const bob = await created({
        username: 'mount-bob',
        userId: 'user_bob',
        issuedAt: '2026-01-04T00:00:00.000Z',
      });
      await created({ username: 'mount-expired', expiresAt: NOW, issuedAt: '2026-01-05T00:00:00.000Z' });
      const revoked = await created({ username: 'mount-revoked', issuedAt: '2026-01-05T00:00:00.000Z' });
      await store().credentials.revoke({ username: revoked.username }, AT, NOW);

      expect(names(await store().credentials.listActive(NOW))).toEqual(names([bob, tieA, tieB, client, old]));
      expect(await store().credentials.listActiveForUser('user_ann', NOW)).toEqual([tieA, tieB, old]);
      expect(await store().credentials.listActiveForUser('user_nobody', NOW)).toEqual([]);
      expect(await store().credentials.countActive('user_ann', NOW)).toBe(3);
      expect(await store().credentials.countActive('user_bob', NOW)).toBe(1);
      expect(await store().credentials.countActive(null, NOW)).toBe(1);
      expect(await store().credentials.countActive('user_ann', 2_000)).toBe(0);
    });

    it('deletes expired credentials, revoked or not, and only those', async () => {
      const live = await created({ expiresAt: NOW + 1 });
      const expired = await created({ expiresAt: NOW });
      const expiredRevoked = await created({ expiresAt: NOW - 50, nodeId: 'node_x' });
      await store().credentials.revoke({ username: expiredRevoked.username }, AT, NOW - 100);
      expect(await store().credentials.deleteExpired(NOW)).toBe(2);
      expect(await store().credentials.byUsername(expired.username)).toBeUndefined();
      expect(await store().credentials.byUsername(expiredRevoked.username)).toBeUndefined();
      expect(await store().credentials.byUsername(live.username)).toEqual(live);
      expect(await store().credentials.deleteExpired(NOW)).toBe(0);
      expect(await store().credentials.countActive('user_ann', NOW - 10)).toBe(1);
      expect(await store().credentials.revokedForNode('node_x', 0)).toEqual([]);
      // A deleted credential's id may be issued again.
      await store().credentials.create({ ...expired, expiresAt: NOW + 5 });
      expect(await store().credentials.countActive('user_ann', NOW)).toBe(2);
    });

    it('takes any text as a username, user, export or node id', async () => {
      for (const text of AWKWARD_IDS)
        await created({
          username: `u:${text}`,
          userId: `user:${text}`,
          exportId: `e:${text}`,
          nodeId: `n:${text}`,
        });
      for (const text of AWKWARD_IDS) {
        expect(await store().credentials.byUsername(`u:${text}`)).toMatchObject({ userId: `user:${text}` });
        expect(await store().credentials.countActive(`user:${text}`, NOW)).toBe(1);
        expect(await store().credentials.revoke({ exportId: `e:${text}` }, AT, NOW)).toBe(1);
        expect(await store().credentials.revokedForNode(`n:${text}`, NOW)).toEqual([`u:${text}`]);
      }
    });

    concurrently(() => {
      it('counts every credential revoked by concurrent calls once, and bumps the version at least once per call that changed any', async () => {
        const all = await Promise.all(
          Array.from({ length: 12 }, (_, i) => created({ nodeId: `node_${i % 3}` })),
        );
        const counts = await Promise.all([
          store().credentials.revoke({ userId: 'user_ann' }, AT, NOW),
          store().credentials.revoke({ nodeId: 'node_0' }, AT, NOW),
          store().credentials.revoke({ nodeId: 'node_1' }, AT, NOW),
        ]);
        expect(counts.reduce((sum, count) => sum + count, 0)).toBe(all.length);
        // At least one bump per call that changed any (KV may add one announcing another call's marks).
        const version = await store().credentials.revocationVersion();
        expect(version).toBeGreaterThanOrEqual(counts.filter((count) => count > 0).length);
        expect(version).toBeLessThanOrEqual(counts.length);
        expect(await store().credentials.listActive(NOW)).toEqual([]);
      });
    });
  });
}

export function settingContract(store: () => NasStore): void {
  describe('settings', () => {
    it('stores, replaces and removes a value', async () => {
      expect(await store().settings.get('defaultAccess')).toBeUndefined();
      await store().settings.set('defaultAccess', 'read-only');
      expect(await store().settings.get('defaultAccess')).toBe('read-only');
      await store().settings.set('defaultAccess', 'none');
      expect(await store().settings.get('defaultAccess')).toBe('none');
      await store().settings.set('other.key', '');
      expect(await store().settings.get('other.key')).toBe('');
      await store().settings.set('defaultAccess', null);
      expect(await store().settings.get('defaultAccess')).toBeUndefined();
      await store().settings.set('defaultAccess', null);
      expect(await store().settings.get('other.key')).toBe('');
    });

    it('lists every stored setting by key', async () => {
      expect(await store().settings.list()).toEqual([]);
      await store().settings.set('defaultAccess', 'read-only');
      await store().settings.set('a.b*c>', 'x');
      await store().settings.set('', 'empty name');
      await store().settings.set('gone', 'y');
      await store().settings.set('gone', null);
      expect(await store().settings.list()).toEqual([
        { key: '', value: 'empty name' },
        { key: 'a.b*c>', value: 'x' },
        { key: 'defaultAccess', value: 'read-only' },
      ]);
    });
  });
}
