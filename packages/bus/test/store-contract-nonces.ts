// Contract of request nonces (claimed once per signer, on any replica) and of the NATS credentials issued to
// identities (live ones listed, expired ones swept).

import { describe, expect, it } from 'vitest';
import type { NatsCredentialRecord } from '../src/store/repositories.js';
import type { Concurrently, Subject } from './store-contract.js';
import { hexKey } from './store-contract-fixtures.js';

const ann = hexKey('ann');
const bob = hexKey('bob');
/** Nonces expire a minute or two after "now" in these tests; the stores' own clocks play no part. */
const EXPIRES = Date.parse('2026-01-01T00:02:00.000Z');

export function nonceContract({ store, replica }: Subject, concurrently: Concurrently): void {
  describe('nonces', () => {
    it('claims a nonce once per signer: a replay is refused, in any case of the key', async () => {
      expect(await store().nonces.claim(ann, 'n-1', EXPIRES)).toBe(true);
      expect(await store().nonces.claim(ann, 'n-1', EXPIRES)).toBe(false);
      expect(await store().nonces.claim(ann.toUpperCase(), 'n-1', EXPIRES + 1)).toBe(false);
      expect(await store().nonces.claim(ann, 'n-2', EXPIRES)).toBe(true);
      expect(await store().nonces.claim(bob, 'n-1', EXPIRES)).toBe(true);
    });

    it('takes any text as a nonce', async () => {
      for (const nonce of ['a.b', 'x*y>z', 'with space', 'ünï©ode', 'l'.repeat(300)]) {
        expect(await store().nonces.claim(ann, nonce, EXPIRES)).toBe(true);
        expect(await store().nonces.claim(ann, nonce, EXPIRES)).toBe(false);
      }
    });

    it('keeps a nonce that has not expired through a sweep', async () => {
      expect(await store().nonces.claim(ann, 'n-1', EXPIRES)).toBe(true);
      expect(await store().nonces.sweep(EXPIRES - 1)).toBe(0);
      expect(await store().nonces.claim(ann, 'n-1', EXPIRES)).toBe(false);
    });

    concurrently(() => {
      it('accepts exactly one of eight concurrent claims of a nonce spread over two replicas', async () => {
        const other = await replica();
        for (let round = 0; round < 5; round++) {
          const nonce = `race-${round}`;
          const claims = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              (i % 2 === 0 ? store() : other).nonces.claim(ann, nonce, EXPIRES),
            ),
          );
          expect(claims.filter(Boolean)).toHaveLength(1);
        }
      });
    });
  });
}

const credential = (
  natsPub: string,
  signPub: string,
  issuedAtMs: number,
  expiresAtMs: number,
): NatsCredentialRecord => ({
  natsPub,
  signPub,
  issuedAtMs,
  expiresAtMs,
});

export function natsCredentialContract({ store }: Subject): void {
  describe('NATS credentials', () => {
    it('lists an identity’s live credentials oldest first, and sweeps the expired ones', async () => {
      const live2 = credential('UBBB', ann, 2_000, 10_000);
      const live1 = credential('UCCC', ann, 1_000, 9_000);
      const expired = credential('UAAA', ann, 500, 5_000);
      const bobs = credential('UDDD', bob, 1_000, 4_000);
      for (const record of [live2, live1, expired]) await store().natsCredentials.record(record);
      await store().natsCredentials.record({ ...bobs, signPub: bob.toUpperCase() });

      expect(await store().natsCredentials.listLive(ann, 5_000)).toEqual([live1, live2]);
      expect(await store().natsCredentials.listLive(ann.toUpperCase(), 4_999)).toEqual([
        expired,
        live1,
        live2,
      ]);
      expect(await store().natsCredentials.listLive(bob, 3_000)).toEqual([bobs]);
      expect(await store().natsCredentials.listLive(hexKey('nobody'), 0)).toEqual([]);

      expect(await store().natsCredentials.sweep(5_000)).toBe(2);
      expect(await store().natsCredentials.listLive(ann, 0)).toEqual([live1, live2]);
      expect(await store().natsCredentials.listLive(bob, 0)).toEqual([]);
      expect(await store().natsCredentials.sweep(5_000)).toBe(0);
      expect(await store().natsCredentials.sweep(10_000)).toBe(2);
      expect(await store().natsCredentials.listLive(ann, 0)).toEqual([]);
    });

    it('replaces a credential recorded again (a retry), and sweeps it by its new expiry', async () => {
      await store().natsCredentials.record(credential('UAAA', ann, 1_000, 5_000));
      await store().natsCredentials.record(credential('UAAA', ann, 1_000, 8_000));
      expect(await store().natsCredentials.sweep(6_000)).toBe(0);
      expect(await store().natsCredentials.listLive(ann, 6_000)).toEqual([
        credential('UAAA', ann, 1_000, 8_000),
      ]);
      expect(await store().natsCredentials.sweep(8_000)).toBe(1);
      expect(await store().natsCredentials.listLive(ann, 0)).toEqual([]);
    });
  });
}
