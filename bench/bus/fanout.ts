// Gateway SSE fan-out: 1,000 browser streams (GET /api/v1/bus/gateway/rooms/{id}/stream) on one room, in a
// worker process, while one account sends messages through the gateway (POST …/messages) at a steady rate;
// each delivery's latency is from just before the send to the event parsed by a client.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { logIn } from '../lib/homeport-session.js';
import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext, Figure } from '../lib/types.js';
import type { FanoutSummary } from './protocol.js';
import type { BusSetup } from './setup.js';
import type { WorkerPool } from './worker-process.js';

/** 1,000 streams: 50 accounts × 20 (the gateway allows 32 streams per account). */
const ACCOUNTS = 50;
const STREAMS_PER_ACCOUNT = 20;
/** Streams per loopback source address (the server allows 64 connections per client address). */
const PER_ADDRESS = 50;
/** Messages per second the sender posts. */
const RATE = 10;
const PAYLOAD_BYTES = 256;
/** How long after the last send a delivery may still arrive before it counts as never delivered. */
const GRACE_MS = 5000;

const wallNow = () => performance.timeOrigin + performance.now();

async function call(url: string, token: string, method: string, body?: unknown): Promise<Response> {
  return fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status)
    throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

/** Homeport accounts made by the first admin, each signed in (tokens). */
async function makeAccounts(setup: BusSetup): Promise<{ usernames: string[]; tokens: string[] }> {
  const { url } = setup.homeport;
  const admin = (await logIn(setup.homeport)).token;
  const usernames = Array.from({ length: ACCOUNTS }, (_, i) => `fanout${i}`);
  const tokens: string[] = [];
  // A few at a time: each is two argon2id hashes, and the server caps logins in flight per address.
  for (let first = 0; first < usernames.length; first += 4) {
    const batch = usernames.slice(first, first + 4);
    tokens.push(
      ...(await Promise.all(
        batch.map(async (username) => {
          const password = randomBytes(18).toString('base64url');
          await expectStatus(
            await call(`${url}/api/v1/users`, admin, 'POST', { username, password }),
            201,
            `creating ${username}`,
          );
          const login = await expectStatus(
            await fetch(`${url}/api/v1/auth/login`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ username, password }),
            }),
            200,
            `signing in ${username}`,
          );
          return ((await login.json()) as { token: string }).token;
        }),
      )),
    );
  }
  return { usernames, tokens };
}

/** Posts at RATE per second for `seconds`, without waiting for one send before the next; how many got 202. */
async function send(messagesUrl: string, token: string, seconds: number, kind: 'w' | 'm'): Promise<number> {
  const interval = 1000 / RATE;
  const count = Math.round(seconds * RATE);
  const started = performance.now();
  const sends: Promise<boolean>[] = [];
  for (let i = 0; i < count; i += 1) {
    const wait = started + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    const head = `${kind} ${wallNow().toFixed(3)} `;
    const body = head + 'x'.repeat(Math.max(0, PAYLOAD_BYTES - head.length));
    sends.push(call(messagesUrl, token, 'POST', { body }).then((response) => response.status === 202));
  }
  return (await Promise.all(sends)).filter(Boolean).length;
}

export async function measureFanout(
  context: BenchmarkContext,
  setup: BusSetup,
  pool: WorkerPool,
): Promise<Figure[]> {
  const gateway = `${setup.homeport.url}/api/v1/bus/gateway`;
  // A bundle built before the gateway existed: say so in the table rather than fail the other figures.
  const probe = await call(`${gateway}/me`, (await logIn(setup.homeport)).token, 'GET');
  if (probe.status === 404 && !(await probe.text()).includes('gateway_')) {
    context.log('  not measured: the built Homeport has no gateway (/api/v1/bus/gateway/me answered 404)');
    return [
      {
        label: 'gateway SSE fan-out p99 (1,000 streams)',
        value: Number.NaN,
        unit: 'ms',
        detail: 'not measured: gateway not present in the build (goal p99 < 200 ms)',
      },
    ];
  }
  const { usernames, tokens } = await makeAccounts(setup);
  const owner = tokens[0] as string; // ACCOUNTS ≥ 1
  const room = (await (
    await expectStatus(await call(`${gateway}/rooms`, owner, 'POST', { name: 'bench-fanout' }), 201, 'room')
  ).json()) as { id: string };
  for (const username of usernames.slice(1))
    await expectStatus(
      await call(`${gateway}/rooms/${room.id}/members`, owner, 'POST', { username }),
      200,
      `inviting ${username}`,
    );
  const clients = await pool.start({
    role: 'sse-clients',
    streamUrl: `${gateway}/rooms/${room.id}/stream`,
    tokens,
    streamsPerToken: STREAMS_PER_ACCOUNT,
    perAddress: PER_ADDRESS,
    payloadBytes: PAYLOAD_BYTES,
  });
  try {
    context.log(
      `  ${clients.describe}, all open; ${RATE} messages/s of ${PAYLOAD_BYTES} bytes posted by one account`,
    );
    const messagesUrl = `${gateway}/rooms/${room.id}/messages`;
    await send(messagesUrl, owner, context.warmupSec, 'w');
    const sent = await send(messagesUrl, owner, context.durationSec, 'm');
    const expected = sent * ACCOUNTS * STREAMS_PER_ACCOUNT;
    let summary: FanoutSummary = await clients.report(sent);
    const deadline = performance.now() + GRACE_MS;
    while (summary.delivered < expected && performance.now() < deadline) {
      await sleep(100);
      summary = await clients.report(sent);
    }
    context.log(
      `  gateway fan-out: ${summary.delivered} of ${expected} deliveries, p50 ${summary.p50.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, max ${summary.max.toFixed(1)} ms`,
    );
    const detail = `${summary.streams} streams of one room (${ACCOUNTS} accounts × ${STREAMS_PER_ACCOUNT}), ${RATE} msgs/s posted through the gateway for ${context.durationSec} s; ${formatNumber(summary.delivered)} of ${formatNumber(summary.expected)} delivered${summary.ended > 0 ? `, ${summary.ended} streams ended by the server` : ''}`;
    return [
      {
        label: 'gateway SSE fan-out p50 (1,000 streams)',
        value: summary.p50,
        unit: 'ms',
        detail: `send → event parsed by the client; max ${summary.max.toFixed(1)} ms`,
      },
      {
        label: 'gateway SSE fan-out p99 (1,000 streams)',
        value: summary.p99,
        unit: 'ms',
        goal: { comparison: '<', target: 200 },
        detail,
      },
    ];
  } finally {
    await clients.stop();
  }
}
