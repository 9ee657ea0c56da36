// Fan-out: many streams of one room (one account's tabs and several accounts') served from one bus
// subscription, each message reaching every stream; the delivery times are printed for the record (bench/bus
// measures them properly), not asserted, since this machine is shared.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GatewayHomeport, type RoomStreamClient, startGatewayHomeport } from './support/bus-gateway.js';

const STREAMS = Number(process.env.GATEWAY_FANOUT_STREAMS ?? 200);
const MESSAGES = 5;

let h: GatewayHomeport;
beforeAll(async () => {
  h = await startGatewayHomeport({ maxStreamsPerAccount: STREAMS, maxStreams: STREAMS + 10 });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

it(`delivers each message to ${STREAMS} streams of one room from one subscription`, async () => {
  const owner = await h.account('owner');
  const guest = await h.account('guest');
  const room = (await h.api(owner.token, 'POST', '/rooms', { name: 'fan-out' })).json as { id: string };
  expect((await h.api(owner.token, 'POST', `/rooms/${room.id}/members`, { username: 'guest' })).status).toBe(
    200,
  );
  const before = h.bus.gateway?.stats().roomSubscriptions ?? 0;

  const streams: RoomStreamClient[] = [];
  for (let index = 0; index < STREAMS; index += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, STREAMS - index) }, (_, offset) =>
        // 50 per loopback address: the server allows 64 connections per client address.
        h.stream((index + offset) % 2 === 0 ? owner.token : guest.token, room.id, undefined, {
          localAddress: `127.0.0.${2 + Math.floor(index / 50)}`,
        }),
      ),
    );
    streams.push(...batch);
  }
  expect(streams.every((stream) => stream.status === 200)).toBe(true);
  await Promise.all(streams.map((stream) => stream.waitFor((event) => event.type === 'state', 30_000)));
  expect(h.bus.gateway?.stats()).toEqual({ streams: STREAMS, roomSubscriptions: before + 1 });

  const latencies: number[] = [];
  for (let round = 0; round < MESSAGES; round++) {
    const sentAt = performance.now();
    const sent = await h.api(owner.token, 'POST', `/rooms/${room.id}/messages`, { body: `round ${round}` });
    expect(sent.status).toBe(202);
    const got = await Promise.all(
      streams.map((stream) => stream.waitFor((event) => event.id === sent.json.id, 30_000)),
    );
    latencies.push(...got.map((event) => event.at - sentAt));
  }
  latencies.sort((a, b) => a - b);
  const p = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(1);
  console.log(`gateway fan-out to ${STREAMS} streams: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`);
  for (const stream of streams) stream.close();
}, 120_000);
