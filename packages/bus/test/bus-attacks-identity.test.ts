// Attacks through an account's own bus identities: what a signed-in member may register, and what others then
// see of it (rooms show senders by handle).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, signPubHex, toHex } from '../src/crypto/index.js';
import { type GatewayHomeport, startGatewayHomeport } from './support/bus-gateway.js';

let g: GatewayHomeport;

beforeAll(async () => {
  g = await startGatewayHomeport();
}, 60_000);
afterAll(async () => {
  await g?.close();
});

const register = (token: string, handle: string) => {
  const identity = generateIdentity();
  return fetch(`${g.url}/api/v1/bus/identities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ signPub: signPubHex(identity), kexPub: toHex(identity.kexPub), handle }),
  });
};

describe('a device identity’s handle', () => {
  it('cannot be another account’s username or another owner’s handle (rooms show senders by handle)', async () => {
    const alice = await g.account('alice');
    const mallory = await g.account('mallory');
    // Alice's web identity exists (handle = her username) once she used the rooms page.
    expect((await g.api(alice.token, 'GET', '/me')).status).toBe(200);
    for (const handle of ['alice', 'Alice', 'ALICE', 'alice\u200b', 'ａｌｉｃｅ']) {
      const answer = await register(mallory.token, handle);
      expect([handle, answer.status]).toEqual([handle, 409]);
    }
    // A handle an identity with no account holds (seeded on the host) is not hers to take either.
    await g.bus.service.addUser({
      signPub: signPubHex(generateIdentity()),
      kexPub: '0'.repeat(64),
      handle: 'ops-bot',
      role: 'member',
      userId: null,
    });
    expect((await register(mallory.token, 'ops-bot')).status).toBe(409);
    // Her own name, and names nobody holds, are hers.
    expect((await register(mallory.token, 'mallory')).status).toBe(201);
    expect((await register(mallory.token, 'mallory laptop')).status).toBe(201);
    expect((await register(alice.token, 'alice')).status).toBe(201);
  });
});
