// Encrypted attachments: stored as ciphertext, read only by members of a room that references them, capped
// before they are read, swept when no room references them.

import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Identity, signPubHex, signRequest } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let h: BusHomeport;
beforeAll(async () => {
  h = await startBusHomeport();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('blobs', () => {
  it('round-trips for members, stores only ciphertext, and refuses non-members and other rooms', async () => {
    const alice = await h.seed('member', 'alice');
    const bob = await h.seed('member', 'bob');
    const eve = await h.seed('member', 'eve');
    const aliceClient = h.client(alice);
    const room = await aliceClient.createRoom({ name: 'photos', policy: { persisted: false } });
    const other = await aliceClient.createRoom({ name: 'other', policy: { persisted: false } });
    await aliceClient.invite(room.id, signPubHex(bob));

    const secret = Buffer.concat([Buffer.from('holiday-photo:'), randomBytes(200_000)]);
    const ref = await aliceClient.putBlob(room.id, secret);
    const opened = await h.client(bob).getBlob(room.id, ref);
    expect(Buffer.from(opened).equals(secret)).toBe(true);

    // What the server keeps (and serves) is ciphertext, as bytes to save, never to render.
    const raw = await fetch(`${h.url}/api/v1/bus/rooms/${room.id}/blobs/${ref.hash}`, {
      headers: { ...signedFor(bob, 'GET', `/api/v1/bus/rooms/${room.id}/blobs/${ref.hash}`) },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await raw.arrayBuffer()).includes(Buffer.from('holiday-photo'))).toBe(false);

    expect((await h.call(eve, 'GET', `/rooms/${room.id}/blobs/${ref.hash}`)).status).toBe(403);
    // A member of another room cannot fetch it through that room.
    expect((await h.call(alice, 'GET', `/rooms/${other.id}/blobs/${ref.hash}`)).status).toBe(404);
  });

  it('refuses a blob over 16 MiB before reading it', async () => {
    const alice = await h.seed('member', 'big');
    const room = await h.client(alice).createRoom({ name: 'big', policy: { persisted: false } });
    const path = `/api/v1/bus/rooms/${room.id}/blobs`;
    // Only the headers are sent: the answer must come before a byte of the body.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${h.url}${path}`, {
        method: 'PUT',
        headers: {
          ...signedFor(alice, 'PUT', path),
          'content-type': 'application/octet-stream',
          'content-length': String(17 * 1024 * 1024),
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('deletes blobs of a deleted room at the sweep', async () => {
    const alice = await h.seed('member', 'sweeper');
    const client = h.client(alice);
    const room = await client.createRoom({ name: 'temp', policy: { persisted: false } });
    const ref = await client.putBlob(room.id, randomBytes(1000));
    await client.control.call('DELETE', `/rooms/${room.id}`);
    const blobs = h.bus.blobs;
    expect(blobs).toBeDefined();
    expect(await blobs?.sweep()).toBeGreaterThanOrEqual(1);
    expect(ref.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

function signedFor(identity: Identity, method: string, path: string, body?: Uint8Array) {
  return signRequest(identity, { method, path, body: body ?? new Uint8Array(0) });
}
