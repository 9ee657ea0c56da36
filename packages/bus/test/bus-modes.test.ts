// HOMEPORT_BUS_AUTH=soft and off, bodies capped before authentication (unibus audit H1), and cleartext rooms
// refused when the bus is exposed.

import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { applyMigrations, createLogger, openDatabase } from '@homeport/core';
import { tempDir } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBusService } from '../src/control/service.js';
import { generateIdentity, signPubHex, signRequest, toHex } from '../src/crypto/index.js';
import { busMigrations, createSqliteBusStore } from '../src/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let h: BusHomeport | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const refusals = async (target: BusHomeport, mode: string, reason: string) => {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (row) =>
        row.startsWith('homeport_bus_request_refusals_total') &&
        row.includes(`reason="${reason}"`) &&
        row.includes(`mode="${mode}"`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('auth modes', () => {
  it('soft lets a bad signature through as its claimed signer, and counts it', async () => {
    h = await startBusHomeport({ HOMEPORT_BUS_AUTH: 'soft' });
    const alice = await h.seed('member', 'alice');
    const forged = signRequest(generateIdentity(), {
      method: 'GET',
      path: '/api/v1/bus/rooms',
      body: new Uint8Array(0),
    });
    const response = await fetch(`${h.url}/api/v1/bus/rooms`, {
      headers: { ...forged, 'x-bus-signer': signPubHex(alice) },
    });
    expect(response.status).toBe(200);
    expect(await refusals(h, 'soft', 'bad_signature')).toBe(1);
    // Still no way in for an identity that is not on the allowlist.
    expect((await h.call(generateIdentity(), 'GET', '/rooms')).status).toBe(401);
  });

  it('off believes the claimed signer but still needs one on the allowlist', async () => {
    h = await startBusHomeport({ HOMEPORT_BUS_AUTH: 'off' });
    const alice = await h.seed('member', 'alice');
    const claimed = await fetch(`${h.url}/api/v1/bus/rooms`, {
      headers: { 'x-bus-signer': signPubHex(alice) },
    });
    expect(claimed.status).toBe(200);
    expect((await fetch(`${h.url}/api/v1/bus/rooms`)).status).toBe(401);
    const stranger = await fetch(`${h.url}/api/v1/bus/rooms`, {
      headers: { 'x-bus-signer': signPubHex(generateIdentity()) },
    });
    expect(stranger.status).toBe(401);
  });
});

describe('bodies', () => {
  it('refuses an over-declared body before reading it or authenticating (H1)', async () => {
    h = await startBusHomeport();
    const target = new URL(`${h.url}/api/v1/bus/rooms`);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(400 * 1024 * 1024) },
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

  it('stops reading an undeclared (chunked) body at 1 MiB, before authenticating', async () => {
    h = await startBusHomeport();
    const target = new URL(`${h.url}/api/v1/bus/rooms`);
    let written = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        // Up to 8 MiB, or until the server answers or cuts the connection.
        while (written < 8 * 1024 * 1024 && !request.destroyed) {
          written += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        request.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('limits requests per client IP before checking signatures (H1)', async () => {
    h = await startBusHomeport({ HOMEPORT_RATE_LIMIT_MAX: '20', HOMEPORT_RATE_LIMIT_WINDOW: '1m' });
    const admin = await h.seed('admin', 'root');
    const statuses: number[] = [];
    // Unsigned requests count against the address like any other…
    for (let n = 0; n < 25; n++) statuses.push((await h.call(undefined, 'GET', '/rooms')).status);
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    // …and a valid signature from the same address does not get past the limit.
    const signed = await h.call(admin, 'GET', '/users');
    expect(signed.status).toBe(429);
  });
});

describe('exposure', () => {
  it('refuses cleartext rooms when the bus is reachable beyond loopback', async () => {
    const db = openDatabase(join(tempDir('homeport-bus-service-'), 'homeport.db'));
    applyMigrations(db, 'bus', busMigrations);
    const store = createSqliteBusStore(db);
    const service = createBusService({
      store,
      dataPlane: undefined,
      blobs: undefined,
      log: createLogger({ level: 'silent' }),
      limits: { maxRoomsPerIdentity: 10, maxMembersPerRoom: 10, credentialTtlMs: 60_000 },
      publicExposure: true,
      reservationSecret: 'x'.repeat(32),
      clock: Date.now,
    });
    const owner = generateIdentity();
    const user = await service.addUser({
      signPub: signPubHex(owner),
      kexPub: toHex(owner.kexPub),
      handle: 'o',
      role: 'member',
      userId: null,
    });
    await expect(
      service.createRoom(user, { name: 'clear', policy: { encrypted: false, persisted: false } }),
    ).rejects.toMatchObject({ code: 'bus_unprocessable' });
    db.close();
  });
});
