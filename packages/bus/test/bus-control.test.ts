// The bus control plane over HTTP with real signatures: who may call what, and what a forged, expired or
// replayed request gets.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, signPubHex, signRequest, toHex } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let h: BusHomeport;
beforeAll(async () => {
  h = await startBusHomeport();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('signed requests', () => {
  it('refuses a request without a signature, a forged one, an expired one and a replayed one', async () => {
    const alice = await h.seed('member', 'alice');
    expect((await h.call(undefined, 'GET', '/rooms')).status).toBe(401);

    // Forged: signed by another key than the one it names.
    const mallory = generateIdentity();
    const forged = signRequest(mallory, {
      method: 'GET',
      path: '/api/v1/bus/rooms',
      body: new Uint8Array(0),
    });
    const forgedResponse = await fetch(`${h.url}/api/v1/bus/rooms`, {
      headers: { ...forged, 'x-bus-signer': signPubHex(alice) },
    });
    expect(forgedResponse.status).toBe(401);
    expect(((await forgedResponse.json()) as { error: { reason: string } }).error.reason).toBe(
      'bad_signature',
    );

    // Expired: a timestamp two minutes old.
    const old = signRequest(alice, {
      method: 'GET',
      path: '/api/v1/bus/rooms',
      body: new Uint8Array(0),
      timestampSec: Math.floor(Date.now() / 1000) - 120,
    });
    const expired = await fetch(`${h.url}/api/v1/bus/rooms`, { headers: { ...old } });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { reason: string } }).error.reason).toBe('expired');

    // Replayed: the same headers twice.
    const once = signRequest(alice, { method: 'GET', path: '/api/v1/bus/rooms', body: new Uint8Array(0) });
    expect((await fetch(`${h.url}/api/v1/bus/rooms`, { headers: { ...once } })).status).toBe(200);
    const replayed = await fetch(`${h.url}/api/v1/bus/rooms`, { headers: { ...once } });
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { reason: string } }).error.reason).toBe('replay');

    // A signature for one path does not fit another, nor for another body.
    const other = signRequest(alice, { method: 'GET', path: '/api/v1/bus/users', body: new Uint8Array(0) });
    expect((await fetch(`${h.url}/api/v1/bus/rooms`, { headers: { ...other } })).status).toBe(401);
  });

  it('refuses identities not on the allowlist and revoked ones', async () => {
    const stranger = generateIdentity();
    const response = await h.call(stranger, 'GET', '/rooms');
    expect(response.status).toBe(401);
    expect(response.json.error.reason).toBe('unknown_identity');

    const bob = await h.seed('member', 'bob');
    expect((await h.call(bob, 'GET', '/rooms')).status).toBe(200);
    await h.bus.service.revokeUser(signPubHex(bob));
    const revoked = await h.call(bob, 'GET', '/rooms');
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.reason).toBe('revoked');
  });
});

describe('allowlist', () => {
  it('is admin only: a member gets 403 on list, add and revoke', async () => {
    const member = await h.seed('member', 'carol');
    const victim = generateIdentity();
    expect((await h.call(member, 'GET', '/users')).status).toBe(403);
    expect(
      (
        await h.call(member, 'POST', '/users', {
          signPub: signPubHex(victim),
          kexPub: toHex(victim.kexPub),
          handle: 'mallory',
          role: 'admin',
        })
      ).status,
    ).toBe(403);
    expect((await h.call(member, 'POST', `/users/${signPubHex(member)}/revoke`)).status).toBe(403);
  });

  it('adds, lists and revokes; validates keys; 409 on re-adding leaves the row; 404 on unknown', async () => {
    const admin = await h.seed('admin', 'root');
    const dave = generateIdentity();
    const upper = signPubHex(dave).toUpperCase();
    const added = await h.call(admin, 'POST', '/users', {
      signPub: upper,
      kexPub: toHex(dave.kexPub),
      handle: 'dave',
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ signPub: signPubHex(dave), role: 'member', status: 'active' });

    const again = await h.call(admin, 'POST', '/users', {
      signPub: signPubHex(dave),
      kexPub: toHex(dave.kexPub),
      handle: 'impostor',
      role: 'admin',
    });
    expect(again.status).toBe(409);
    const listed = await h.call(admin, 'GET', '/users');
    const row = listed.json.find((user: { signPub: string }) => user.signPub === signPubHex(dave));
    expect(row).toMatchObject({ handle: 'dave', role: 'member', status: 'active' });

    expect(
      (await h.call(admin, 'POST', '/users', { signPub: 'abcd', kexPub: toHex(dave.kexPub), handle: 'x' }))
        .status,
    ).toBe(400);
    expect((await h.call(admin, 'POST', '/users/zz/revoke')).status).toBe(400);

    expect((await h.call(admin, 'POST', `/users/${signPubHex(dave)}/revoke`)).status).toBe(200);
    expect((await h.call(admin, 'POST', `/users/${signPubHex(dave)}/revoke`)).status).toBe(404);
    expect((await h.call(admin, 'POST', `/users/${signPubHex(generateIdentity())}/revoke`)).status).toBe(404);
    const after = await h.call(admin, 'GET', '/users');
    expect(after.json.find((user: { signPub: string }) => user.signPub === signPubHex(dave))).toMatchObject({
      status: 'revoked',
    });
  });
});

describe('rooms', () => {
  it('every room route answers 403 to a signed-in non-member (audit H3)', async () => {
    const owner = await h.seed('member', 'owner');
    const outsider = await h.seed('member', 'outsider');
    const client = h.client(owner);
    const room = await client.createRoom({ name: 'secret plans' });
    const paths: [string, string, unknown?][] = [
      ['GET', `/rooms/${room.id}`],
      ['GET', `/rooms/${room.id}/keys/mine`],
      ['POST', `/rooms/${room.id}/members`, { signPub: signPubHex(outsider), sealedKeys: [] }],
      ['POST', `/rooms/${room.id}/rekey`, { epoch: 1, sealedKeys: [] }],
      ['POST', `/rooms/${room.id}/members/${signPubHex(owner)}/remove`, { epoch: 1, sealedKeys: [] }],
      ['DELETE', `/rooms/${room.id}`],
    ];
    for (const [method, path, body] of paths) {
      const response = await h.call(outsider, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    // An unknown room looks the same as someone else's.
    expect((await h.call(outsider, 'GET', '/rooms/aaaaaaaaaaaaaaaaaaaa')).status).toBe(403);
    expect((await h.call(outsider, 'GET', '/rooms')).json).toEqual([]);
  });

  it('assigns the subject, refuses a forged reservation, and needs the owner key for an encrypted room', async () => {
    const owner = await h.seed('member', 'erin');
    const other = await h.seed('member', 'frank');
    const reserved = await h.call(owner, 'POST', '/rooms/reserve');
    expect(reserved.status).toBe(200);
    // Someone else's reservation does not work for you.
    const stolen = await h.call(other, 'POST', '/rooms', {
      name: 'x',
      roomId: reserved.json.roomId,
      reservation: reserved.json.reservation,
      sealedKey: 'A'.repeat(107),
    });
    expect(stolen.status).toBe(400);
    const noKey = await h.call(owner, 'POST', '/rooms', {
      name: 'x',
      roomId: reserved.json.roomId,
      reservation: reserved.json.reservation,
    });
    expect(noKey.status).toBe(400);
    // Wildcards or a chosen subject are not accepted at all.
    expect((await h.call(owner, 'POST', '/rooms', { name: 'x', subject: 'bus.>' })).status).toBe(400);
    const created = await h.client(owner).createRoom({ name: 'ok' });
    expect(created.subject).toBe(`bus.room.${created.id}`);
  });
});

describe('status', () => {
  it('reports the auth mode, TLS and store', async () => {
    const response = await fetch(`${h.url}/api/v1/bus/status`);
    expect(await response.json()).toMatchObject({ auth: 'enforce', store: 'sqlite', dataPlane: true });
  });
});
