// The browsers of bench/scale's SSE figure, in a process of their own: event streams on `accounts.users`
// (GET /api/v1/events), each arrival of a `user.updated` event noted with the wall clock.

import { openSse, type SseStream } from '../bus/sse-client.js';
import type { ChildAnswer, DeliverySummary, ToChild } from './sse-protocol.js';

/** Streams opened at once while connecting. */
const OPEN_BATCH = 50;

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
const wallNow = () => performance.timeOrigin + performance.now();

interface Arrival {
  arrived: number;
  at: number;
}

const streams: SseStream[] = [];
/** Per stream: `updatedAt` of the event's user → its arrival. */
const arrivals: Map<string, Arrival>[] = [];
let ended = 0;
let closing = false;

function answer(message: ChildAnswer): void {
  process.send?.(message);
}

async function open(url: string, token: string, count: number, perAddress: number): Promise<string> {
  const openOne = async (index: number): Promise<void> => {
    const seen = new Map<string, Arrival>();
    arrivals[index] = seen;
    const stream = openSse(
      url,
      { authorization: `Bearer ${token}` },
      `127.0.0.${2 + Math.floor(index / perAddress)}`,
      (event) => {
        if (event.type !== 'user.updated') return;
        const arrived = wallNow();
        // The documented envelope: { id, topic, type, data: <the user>, at }.
        const envelope = JSON.parse(event.data) as { at: string; data: { updatedAt: string } };
        seen.set(envelope.data.updatedAt, { arrived, at: Date.parse(envelope.at) });
      },
    );
    streams[index] = stream;
    void stream.ended.then(() => {
      if (!closing) ended += 1;
    });
    const status = await stream.opened;
    if (status !== 200) throw new Error(`stream ${index}: HTTP ${status}`);
  };
  for (let first = 0; first < count; first += OPEN_BATCH)
    await Promise.all(
      Array.from({ length: Math.min(OPEN_BATCH, count - first) }, (_, offset) => openOne(first + offset)),
    );
  const addresses = Math.ceil(count / perAddress);
  return `${count} streams, ${Math.min(count, perAddress)} per address over 127.0.0.2–${1 + addresses}`;
}

const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;

function report(sends: Record<string, number>): DeliverySummary {
  const fromSend: number[] = [];
  const fromAt: number[] = [];
  let delivered = 0;
  const lastClient = new Map<string, number>(Object.keys(sends).map((key) => [key, 0]));
  for (const seen of arrivals) {
    for (const [key, sentAt] of Object.entries(sends)) {
      const arrival = seen.get(key);
      if (arrival === undefined) {
        // A delivery that never came counts as infinitely late: it must not vanish from the percentiles.
        fromSend.push(Number.POSITIVE_INFINITY);
        fromAt.push(Number.POSITIVE_INFINITY);
        lastClient.set(key, Number.POSITIVE_INFINITY);
        continue;
      }
      delivered += 1;
      fromSend.push(arrival.arrived - sentAt);
      lastClient.set(key, Math.max(lastClient.get(key) ?? 0, arrival.arrived - sentAt));
      fromAt.push(arrival.arrived - arrival.at);
    }
  }
  fromSend.sort((a, b) => a - b);
  const perEvent = [...lastClient.values()].sort((a, b) => a - b);
  fromAt.sort((a, b) => a - b);
  return {
    streams: arrivals.length,
    expected: arrivals.length * Object.keys(sends).length,
    delivered,
    p50: percentile(fromSend, 0.5),
    p99: percentile(fromSend, 0.99),
    max: fromSend[fromSend.length - 1] ?? Number.NaN,
    lastClientP50: percentile(perEvent, 0.5),
    p99FromAt: percentile(fromAt, 0.99),
    ended,
  };
}

process.on('message', (raw: unknown) => {
  const message = raw as ToChild; // only bench/scale/sse-fanout.ts talks to this process
  void (async () => {
    try {
      if (message.kind === 'open') {
        const opened = await open(message.url, message.token, message.count, message.perAddress);
        answer({ id: message.id, ok: true, opened });
      } else if (message.kind === 'seen') {
        const seen = arrivals.filter((map) => map.has(message.key)).length;
        answer({ id: message.id, ok: true, seen });
      } else {
        answer({ id: message.id, ok: true, summary: report(message.sends) });
      }
    } catch (error) {
      answer({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  })();
});

// The benchmark closes the channel when it is done (or dies): close the streams and leave.
process.on('disconnect', () => {
  closing = true;
  for (const stream of streams) stream.close();
  process.exit(0);
});
