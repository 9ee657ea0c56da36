// The identities the gateway holds for accounts: sealed at rest so a copied, altered or misfiled blob does not
// open, made once per account even when two replicas race, on the allowlist as a member owned by the account,
// and refused once revoked.

import { join } from 'node:path';
import { applyMigrations, openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, generateIdentity, signPubHex, toBase64Url } from '../src/crypto/index.js';
import { createGatewayIdentities } from '../src/gateway/identities.js';
import { createIdentitySealer } from '../src/gateway/identity-seal.js';
import { busMigrations } from '../src/store/migrations.js';
import { createSqliteBusStore } from '../src/store/sqlite-store.js';

const SECRET = 'a-vault-secret-of-enough-random-bytes-0123456789';

describe('gateway identity seal', () => {
  it('opens only for the account and key it was sealed for, under the same secret, untouched', () => {
    const sealer = createIdentitySealer(SECRET);
    const identity = generateIdentity();
    const signPub = signPubHex(identity);
    const sealed = sealer.seal('user-1', identity);
    expect(signPubHex(sealer.open('user-1', signPub, sealed))).toBe(signPub);
    expect(() => sealer.open('user-2', signPub, sealed)).toThrow();
    expect(() => sealer.open('user-1', signPubHex(generateIdentity()), sealed)).toThrow();
    expect(() => createIdentitySealer(`${SECRET}x`).open('user-1', signPub, sealed)).toThrow();
    const bytes = fromBase64Url(sealed) as Uint8Array;
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(() => sealer.open('user-1', signPub, toBase64Url(bytes))).toThrow();
  });
});

describe('gateway identities', () => {
  it('makes one identity per account when two replicas race, allowlisted as a member the account owns', async () => {
    const file = join(tempDir('homeport-bus-gateway-'), 'homeport.db');
    const db = openDatabase(file);
    applyMigrations(db, 'bus', busMigrations);
    const other = openDatabase(file);
    try {
      const sealer = createIdentitySealer(SECRET);
      const one = createGatewayIdentities({ store: createSqliteBusStore(db), sealer, clock: Date.now });
      const two = createGatewayIdentities({ store: createSqliteBusStore(other), sealer, clock: Date.now });
      const account = { userId: 'u-ann', username: 'ann' };
      const [a, b] = await Promise.all([one.forAccount(account), two.forAccount(account)]);
      expect(a.signPub).toBe(b.signPub);
      const store = createSqliteBusStore(db);
      const user = await store.users.get(a.signPub);
      expect(user).toMatchObject({ role: 'member', userId: 'u-ann', handle: 'ann', status: 'active' });
      expect((await one.signer(a)).signPub).toBe(a.signPub);

      await store.users.revoke(a.signPub, new Date().toISOString());
      await expect(one.signer(a)).rejects.toMatchObject({ code: 'gateway_identity_revoked' });
      one.forget('u-ann');
      await expect(one.forAccount(account)).rejects.toMatchObject({ code: 'gateway_identity_revoked' });
    } finally {
      other.close();
      db.close();
    }
  });
});
