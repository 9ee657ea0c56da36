// Reading NATS JWTs back with Node's Ed25519: the same claims as @nats-io/jwt's decode for what it signed, and
// the same refusals — a changed payload, another key's signature, a header that is not a NATS JWT's.

import { decode, encodeAccount, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { credsClaims, decodeVerified } from '../src/nats/jwt-read.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('decodeVerified', () => {
  it('reads an account JWT signed by an operator key as @nats-io/jwt does', async () => {
    const operator = createOperator();
    const account = createAccount();
    const jwt = await encodeAccount('acct', account, { limits: { conn: 5 } }, { signer: operator });
    expect(decodeVerified(jwt)).toEqual(decode(jwt));
    expect(decodeVerified(jwt).iss).toBe(operator.getPublicKey());
  });

  it('refuses a changed payload, a signature by another key and a header that is not a NATS JWT', async () => {
    const operator = createOperator();
    const jwt = await encodeAccount('acct', createAccount(), {}, { signer: operator });
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(() => decodeVerified(`${header}.${b64({ ...claims, name: 'other' })}.${signature}`)).toThrow(
      /sig verification failed/,
    );
    const forged = await encodeAccount('acct', createAccount(), {}, { signer: createOperator() });
    expect(() => decodeVerified(`${header}.${payload}.${forged.split('.')[2]}`)).toThrow(
      /sig verification failed/,
    );
    expect(() => decodeVerified(`${b64({ typ: 'JWT', alg: 'HS256' })}.${payload}.${signature}`)).toThrow(
      /not a nats jwt/,
    );
    expect(() => decodeVerified(`${header}.${b64({ ...claims, iss: 'Anotakey' })}.${signature}`)).toThrow();
    expect(() => decodeVerified('a.b')).toThrow(/invalid jwt/);
  });

  it("reads a .creds file's user JWT", async () => {
    const account = createAccount();
    const user = createUser();
    const jwt = await encodeUser('svc', user, account, { pub: { allow: ['a.>'] } });
    const creds = new TextDecoder().decode(fmtCreds(jwt, user));
    const claims = credsClaims<{ pub: { allow: string[] } }>(creds);
    expect(claims.sub).toBe(user.getPublicKey());
    expect(claims.nats.pub?.allow).toEqual(['a.>']);
    expect(() => credsClaims('no armour here')).toThrow(/bad credentials/);
  });
});
