// Contract of the allowlist (BusUserRepository) and of the gateway identities: created once, keys in any
// case, revocation flips a record once and deletes nothing.

import { describe, expect, it } from 'vitest';
import { BusStoreError, type GatewayIdentityRecord } from '../src/store/repositories.js';
import type { Concurrently, Subject } from './store-contract.js';
import { AT, at, hexKey, settle, thrown, userInput } from './store-contract-fixtures.js';

export function userContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('users', () => {
    it('adds an active identity and finds it by its key in either case', async () => {
      const input = userInput('ann', {
        signPub: hexKey('ann').toUpperCase(),
        kexPub: hexKey('ann-kex').toUpperCase(),
      });
      const record = await store().users.add(input, AT);
      expect(record).toEqual({
        signPub: hexKey('ann'),
        kexPub: hexKey('ann-kex'),
        handle: 'ann',
        role: 'member',
        status: 'active',
        userId: 'user_ann',
        createdAt: AT,
        revokedAt: null,
      });
      expect(await store().users.get(hexKey('ann'))).toEqual(record);
      expect(await store().users.get(hexKey('ann').toUpperCase())).toEqual(record);
      expect(await store().users.get(hexKey('nobody'))).toBeUndefined();
    });

    it('refuses a key already on the list, active or revoked, and leaves that identity untouched', async () => {
      const first = await store().users.add(userInput('ann', { role: 'admin' }), AT);
      const again = userInput('ann', { handle: 'mallory', role: 'member', userId: 'user_mallory' });
      const error = await thrown(
        store().users.add({ ...again, signPub: again.signPub.toUpperCase() }, at(1)),
      );
      expect(error).toBeInstanceOf(BusStoreError);
      expect(error).toMatchObject({ code: 'bus_user_exists' });
      expect(await store().users.get(first.signPub)).toEqual(first);
      expect(await store().users.listByAccount('user_mallory')).toEqual([]);

      const revoked = await store().users.revoke(first.signPub, at(2));
      expect(await thrown(store().users.add(again, at(3)))).toMatchObject({ code: 'bus_user_exists' });
      expect(await store().users.get(first.signPub)).toEqual(revoked);
    });

    it('lists every identity oldest first (ties by key), revoked ones included, and an account’s own', async () => {
      const b = await store().users.add(userInput('b', { userId: 'user_one' }), at(2));
      const a = await store().users.add(userInput('a', { userId: 'user_one' }), at(1));
      const c = await store().users.add(userInput('c', { userId: null }), at(2));
      const d = await store().users.add(userInput('d', { userId: 'user_two' }), at(0));
      const revokedA = await store().users.revoke(a.signPub, at(5));
      const tie = [b, c].sort((x, y) => (x.signPub < y.signPub ? -1 : 1));
      expect(await store().users.list()).toEqual([d, revokedA, ...tie]);
      expect(await store().users.listByAccount('user_one')).toEqual([revokedA, b]);
      expect(await store().users.listByAccount('user_two')).toEqual([d]);
      expect(await store().users.listByAccount('user_nobody')).toEqual([]);
    });

    it('revokes an active identity once; an unknown or revoked one gives undefined and changes nothing', async () => {
      const ann = await store().users.add(userInput('ann'), AT);
      const revoked = await store().users.revoke(ann.signPub.toUpperCase(), at(1));
      expect(revoked).toEqual({ ...ann, status: 'revoked', revokedAt: at(1) });
      expect(await store().users.revoke(ann.signPub, at(2))).toBeUndefined();
      expect(await store().users.get(ann.signPub)).toEqual(revoked);
      expect(await store().users.revoke(hexKey('nobody'), at(2))).toBeUndefined();
      expect(await store().users.get(hexKey('nobody'))).toBeUndefined();
    });

    it('knows whether an active admin exists, ignoring revoked admins and members', async () => {
      expect(await store().users.hasActiveAdmin()).toBe(false);
      await store().users.add(userInput('member'), AT);
      expect(await store().users.hasActiveAdmin()).toBe(false);
      const admin = await store().users.add(userInput('admin', { role: 'admin' }), AT);
      expect(await store().users.hasActiveAdmin()).toBe(true);
      await store().users.revoke(admin.signPub, at(1));
      expect(await store().users.hasActiveAdmin()).toBe(false);
    });

    concurrently(() => {
      it('adds one of two concurrent adds of one key, from two replicas', async () => {
        const other = await replica();
        const { fulfilled, rejected } = await settle([
          store().users.add(userInput('ann', { handle: 'one' }), AT),
          other.users.add(userInput('ann', { handle: 'two' }), AT),
        ]);
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(rejected[0]).toMatchObject({ code: 'bus_user_exists' });
        expect(await store().users.get(hexKey('sign:ann'))).toEqual(fulfilled[0]);
        expect(await store().users.listByAccount('user_ann')).toEqual(fulfilled);
      });

      it('revokes once when two replicas revoke at the same time', async () => {
        const ann = await store().users.add(userInput('ann'), AT);
        const other = await replica();
        const results = await Promise.all([
          store().users.revoke(ann.signPub, at(1)),
          other.users.revoke(ann.signPub, at(2)),
        ]);
        const done = results.filter((result) => result !== undefined);
        expect(done).toHaveLength(1);
        expect(await store().users.get(ann.signPub)).toEqual(done[0]);
      });
    });
  });
}

const gateway = (userId: string, name: string): GatewayIdentityRecord => ({
  userId,
  signPub: hexKey(`gw-sign:${name}`),
  kexPub: hexKey(`gw-kex:${name}`),
  sealedPrivate: `sealed-${name}`,
  createdAt: AT,
});

export function gatewayContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('gateway identities', () => {
    it('creates an account’s gateway identity once and keeps the first', async () => {
      expect(await store().gatewayIdentities.get('user_ann')).toBeUndefined();
      const first = gateway('user_ann', 'one');
      await store().gatewayIdentities.create({ ...first, signPub: first.signPub.toUpperCase() });
      expect(await store().gatewayIdentities.get('user_ann')).toEqual(first);
      const error = await thrown(store().gatewayIdentities.create(gateway('user_ann', 'two')));
      expect(error).toBeInstanceOf(BusStoreError);
      expect(error).toMatchObject({ code: 'bus_gateway_exists' });
      expect(await store().gatewayIdentities.get('user_ann')).toEqual(first);
      await store().gatewayIdentities.create(gateway('user_bob', 'three'));
      expect(await store().gatewayIdentities.get('user_bob')).toEqual(gateway('user_bob', 'three'));
    });

    concurrently(() => {
      it('creates one of two concurrent gateway identities of an account, from two replicas', async () => {
        const other = await replica();
        const { fulfilled, rejected } = await settle([
          store().gatewayIdentities.create(gateway('user_ann', 'one')),
          other.gatewayIdentities.create(gateway('user_ann', 'two')),
        ]);
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0]).toMatchObject({ code: 'bus_gateway_exists' });
      });
    });
  });
}
