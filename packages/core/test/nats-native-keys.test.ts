// nkeys seed keys on Node's Ed25519: the same public key and byte-for-byte the same signatures as nkeys for
// every role Homeport uses, JWTs that @nats-io/jwt verifies, and nkeys' other methods still answering.

import { decode, encodeAccount } from '@nats-io/jwt';
import { createAccount, createOperator, createUser, fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { nativeSeedKey } from '../src/nats/native-keys.js';

describe('nativeSeedKey', () => {
  it('gives the public key and the signatures nkeys gives, for operator, account and user keys', () => {
    for (const make of [createOperator, createAccount, createUser]) {
      for (let n = 0; n < 5; n += 1) {
        const key = make();
        const native = nativeSeedKey(key);
        expect(native.getPublicKey()).toBe(key.getPublicKey());
        const data = new TextEncoder().encode(`message ${n}`);
        expect(Buffer.from(native.sign(data))).toEqual(Buffer.from(key.sign(data)));
        expect(native.verify(data, key.sign(data))).toBe(true);
        expect(native.verify(new TextEncoder().encode('other'), key.sign(data))).toBe(false);
        expect(fromPublic(native.getPublicKey()).verify(data, native.sign(data))).toBe(true);
        // What stays nkeys': the seed and the private key.
        expect(native.getSeed()).toEqual(key.getSeed());
        expect(native.getPrivateKey()).toEqual(key.getPrivateKey());
      }
    }
  });

  it('signs JWTs that @nats-io/jwt verifies', async () => {
    const operator = nativeSeedKey(createOperator());
    const account = createAccount();
    const jwt = await encodeAccount('acct', account, {}, { signer: operator });
    expect(decode(jwt).iss).toBe(operator.getPublicKey());
  });
});
