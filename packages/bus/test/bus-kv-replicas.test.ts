// Two replicas on one JetStream KV store (external NATS, so the data plane is off and the control plane is
// what is under test): a signed request replayed to the other replica is refused, and the allowlist and
// rooms are one.

import { type NatsServerInstance, startNatsServer } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPubHex, signRequest } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

let nats: NatsServerInstance;
let a: BusHomeport;
let b: BusHomeport;
beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  a = await startBusHomeport({}, undefined, { kvNatsUrl: nats.url });
  b = await startBusHomeport({}, undefined, { kvNatsUrl: nats.url });
}, 90_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await nats?.stop();
});

describe('bus on KV, two replicas', () => {
  it('refuses on replica B a request already used on replica A', async () => {
    const alice = await a.seed('member', 'alice');
    const headers = signRequest(alice, { method: 'GET', path: '/api/v1/bus/rooms', body: new Uint8Array(0) });
    expect((await fetch(`${a.url}/api/v1/bus/rooms`, { headers: { ...headers } })).status).toBe(200);
    const replayed = await fetch(`${b.url}/api/v1/bus/rooms`, { headers: { ...headers } });
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { reason: string } }).error.reason).toBe('replay');
  });

  it('shares the allowlist: an identity revoked on A is refused on B', async () => {
    const admin = await a.seed('admin', 'root');
    const bob = await a.seed('member', 'bob');
    expect((await b.call(bob, 'GET', '/rooms')).status).toBe(200);
    expect((await b.call(admin, 'POST', `/users/${signPubHex(bob)}/revoke`)).status).toBe(200);
    expect((await a.call(bob, 'GET', '/rooms')).status).toBe(401);
  });

  it('says the data plane is off without the BUS account keys, and refuses persisted rooms with 503', async () => {
    const carol = await a.seed('member', 'carol');
    const status = await a.call(undefined, 'GET', '/status');
    expect(status.json).toMatchObject({ store: 'kv', dataPlane: false });
    const reserved = await a.call(carol, 'POST', '/rooms/reserve');
    const created = await a.call(carol, 'POST', '/rooms', {
      name: 'x',
      roomId: reserved.json.roomId,
      reservation: reserved.json.reservation,
      sealedKey: 'A'.repeat(107),
    });
    expect(created.status).toBe(503);
  });
});
