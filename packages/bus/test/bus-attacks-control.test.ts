// Attacks on the bus's signed control plane: replayed and re-targeted signatures, racing nonces, a member
// reaching past its rooms, and the quotas that keep one member from breaking revocation for everyone.

import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IDENTITIES_PER_ACCOUNT, MAX_LIVE_CREDENTIALS } from '../src/control/service.js';
import { generateIdentity, signPubHex, signRequest, toHex } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let h: BusHomeport;

beforeAll(async () => {
  h = await startBusHomeport();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Sends exactly these headers and body (no signing on the way). */
async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

describe('signatures', () => {
  it('takes one of two identical requests sent at once (the nonce is claimed once)', async () => {
    const alice = await h.seed('member', 'alice-race');
    const path = '/api/v1/bus/rooms/reserve';
    const headers = signRequest(alice, { method: 'POST', path });
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('POST', path, headers)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    expect(answers.filter((answer) => answer.status === 401).map((a) => a.json.error.reason)).toEqual(
      Array(7).fill('replay'),
    );
  });

  it('does not fit another spelling of the path, another query, method or body', async () => {
    const alice = await h.seed('member', 'alice-spelling');
    const path = '/api/v1/bus/rooms';
    const variants: [string, string, string | undefined][] = [
      ['GET', '/api/v1/bus/%72ooms', undefined],
      ['GET', '/api/v1/bus//rooms', undefined],
      ['GET', '/api/v1/bus/rooms?x=1', undefined],
      ['GET', '/api/v1/bus/rooms/', undefined],
      ['HEAD', path, undefined],
    ];
    for (const [method, target] of variants) {
      const headers = signRequest(alice, { method: 'GET', path });
      const answer = await send(method, target, headers);
      // Refused by the signature, by the schema (an empty room id) or by no route matching: never served.
      expect([method, target, [400, 401, 404].includes(answer.status)]).toEqual([method, target, true]);
      if (answer.status === 401 && method !== 'HEAD')
        expect([target, answer.json?.error?.reason]).toEqual([target, 'bad_signature']);
    }
    // A body other than the one signed (or a signature over no body sent with one).
    const signedBody = JSON.stringify({ name: 'ours' });
    const headers = signRequest(alice, { method: 'POST', path, body: signedBody });
    const swapped = await send(
      'POST',
      path,
      { ...headers, 'content-type': 'application/json' },
      JSON.stringify({ name: 'theirs' }),
    );
    expect(swapped.json.error.reason).toBe('bad_signature');
    const empty = signRequest(alice, { method: 'POST', path: '/api/v1/bus/rooms/reserve' });
    const smuggled = await send(
      'POST',
      '/api/v1/bus/rooms/reserve',
      { ...empty, 'content-type': 'application/json' },
      '{}',
    );
    expect(smuggled.json.error.reason).toBe('bad_signature');
    // A body the bus keeps no bytes of (another content type) is not taken as the empty body signed.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json']) {
      const plain = signRequest(alice, { method: 'POST', path: '/api/v1/bus/rooms/reserve' });
      const answer = await send(
        'POST',
        '/api/v1/bus/rooms/reserve',
        { ...plain, 'content-type': type },
        'a=1',
      );
      expect([type, answer.status === 401 || answer.status === 415]).toEqual([type, true]);
    }
  });

  it('writes nothing to the store for a key that is not on the allowlist (anyone can sign)', async () => {
    const stranger = generateIdentity();
    const path = '/api/v1/bus/rooms';
    const headers = signRequest(stranger, { method: 'GET', path });
    const answer = await send('GET', path, headers);
    expect(answer.json.error.reason).toBe('unknown_identity');
    // Its nonce was never claimed: claiming it now is the first claim.
    const claimed = await h.bus.store.nonces.claim(
      signPubHex(stranger),
      headers['x-bus-nonce'],
      Date.now() + 120_000,
    );
    expect(claimed).toBe(true);
    // A replay from an identity on the list is still a replay.
    const alice = await h.seed('member', 'alice-nonce');
    const signed = signRequest(alice, { method: 'GET', path });
    expect((await send('GET', path, signed)).status).toBe(200);
    expect((await send('GET', path, signed)).json.error.reason).toBe('replay');
  });

  it('refuses a timestamp outside the window either way, and a header sent twice', async () => {
    const alice = await h.seed('member', 'alice-window');
    const path = '/api/v1/bus/rooms';
    const now = Math.floor(Date.now() / 1000);
    for (const timestampSec of [now - 61, now + 61]) {
      const answer = await send('GET', path, signRequest(alice, { method: 'GET', path, timestampSec }));
      expect(answer.json.error.reason).toBe('expired');
    }
    const headers = signRequest(alice, { method: 'GET', path });
    const twice = await fetch(`${h.url}${path}`, {
      headers: [...Object.entries(headers), ['x-bus-signer', signPubHex(generateIdentity())]] as [
        string,
        string,
      ][],
    });
    expect(twice.status).toBe(401);
  });
});

describe('a member reaching past its rooms', () => {
  it('gets 403 for another room’s keys, blobs, members and management, the same as for no room', async () => {
    const owner = await h.seed('member', 'owner-reach');
    const mallory = await h.seed('member', 'mallory-reach');
    const room = await h.client(owner).createRoom({ name: 'secret' });
    const missing = 'aaaaaaaaaaaaaaaaaaaa';
    const hash = '0'.repeat(64);
    for (const id of [room.id, missing]) {
      const calls: [string, string, unknown?][] = [
        ['GET', `/rooms/${id}`],
        ['GET', `/rooms/${id}/keys/mine`],
        ['GET', `/rooms/${id}/keys/mine?epoch=1`],
        ['GET', `/rooms/${id}/blobs/${hash}`],
        ['POST', `/rooms/${id}/members`, { signPub: signPubHex(mallory), sealedKeys: [] }],
        ['POST', `/rooms/${id}/rekey`, { epoch: 1, sealedKeys: [] }],
        ['DELETE', `/rooms/${id}`],
      ];
      for (const [method, path, body] of calls) {
        const answer = await h.call(mallory, method, path, body);
        expect([method, path, answer.status]).toEqual([method, path, 403]);
      }
    }
    // Ids that are not room ids never reach a store key or a NATS subject.
    for (const id of ['a.b', 'a*', 'a>', '..', 'ROOMROOMROOMROOMROOM', 'é'.repeat(20)]) {
      const answer = await h.call(mallory, 'GET', `/rooms/${encodeURIComponent(id)}`);
      expect([id, [400, 404].includes(answer.status)]).toEqual([id, true]);
    }
  });

  it('cannot use the allowlist as a member, nor invite a revoked identity', async () => {
    const owner = await h.seed('member', 'owner-allow');
    const admin = await h.seed('admin', 'admin-allow');
    const victim = await h.seed('member', 'victim-allow');
    for (const [method, path, body] of [
      ['GET', '/users', undefined],
      ['POST', '/users', { signPub: signPubHex(generateIdentity()), kexPub: '0'.repeat(64), handle: 'x' }],
      ['POST', `/users/${signPubHex(victim)}/revoke`, undefined],
    ] as [string, string, unknown][]) {
      const answer = await h.call(owner, method, path, body);
      expect([path, answer.status]).toEqual([path, 403]);
    }
    expect((await h.call(admin, 'POST', `/users/${signPubHex(victim)}/revoke`)).status).toBe(200);
    const ownerClient = h.client(owner);
    const room = await ownerClient.createRoom({ name: 'after' });
    await expect(ownerClient.invite(room.id, signPubHex(victim))).rejects.toMatchObject({ status: 404 });
    const direct = await h.call(owner, 'POST', `/rooms/${room.id}/members`, {
      signPub: signPubHex(victim),
      sealedKeys: [],
    });
    expect(direct.status).toBe(422);
  });
});

describe('quotas that keep revocation working', () => {
  it(`issues at most ${MAX_LIVE_CREDENTIALS} live NATS credentials to one identity`, async () => {
    const mallory = await h.seed('member', 'mallory-flood');
    const statuses: number[] = [];
    for (let i = 0; i < MAX_LIVE_CREDENTIALS + 1; i++) {
      const answer = await h.call(mallory, 'POST', '/credentials', { natsPub: createUser().getPublicKey() });
      statuses.push(answer.status);
      if (answer.status !== 200) expect(answer.json.error.code).toBe('bus_quota');
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(MAX_LIVE_CREDENTIALS);
    expect(statuses.at(-1)).toBe(422);
    // Another identity is not held back by hers.
    const other = await h.seed('member', 'other-flood');
    const answer = await h.call(other, 'POST', '/credentials', { natsPub: createUser().getPublicKey() });
    expect(answer.status).toBe(200);
  });

  it(`lets an account own at most ${MAX_IDENTITIES_PER_ACCOUNT} active identities`, async () => {
    const token = await h.t.login();
    const register = (identity = generateIdentity()) =>
      fetch(`${h.url}/api/v1/bus/identities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          signPub: signPubHex(identity),
          kexPub: toHex(identity.kexPub),
          handle: 'device',
        }),
      });
    const made: string[] = [];
    for (let i = 0; i < MAX_IDENTITIES_PER_ACCOUNT; i++) {
      const identity = generateIdentity();
      expect((await register(identity)).status).toBe(201);
      made.push(signPubHex(identity));
    }
    const refused = await register();
    expect(refused.status).toBe(422);
    // Revoking one makes room for another.
    const revoke = await fetch(`${h.url}/api/v1/bus/identities/${made[0]}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoke.status).toBe(200);
    expect((await register()).status).toBe(201);
  });
});
