// SSE delivery at a number of clients: a process of event-stream clients (sse-child.ts) on `accounts.users`,
// and `user.updated` events triggered one at a time (at most 10 a second) by an admin changing a member's
// role; each delivery's latency is from just before the PATCH was sent to the event parsed by a client.

import { type ChildProcess, fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { until } from '@homeport/testkit';
import type { BenchmarkContext } from '../lib/types.js';
import type { ChildAnswer, ChildRequest, DeliverySummary } from './sse-protocol.js';

const CHILD = fileURLToPath(new URL('./sse-child.ts', import.meta.url));

/** At most 10 events a second; each waits for the last one to reach every client (see `triggers`). */
export const SSE_INTERVAL_MS = 100;
/** How long one event may take to reach every client before the next is sent anyway. */
const DELIVERY_TIMEOUT_MS = 5_000;
/**
 * Streams per loopback source address: the control plane allows 64 connections per address (a constant,
 * DEFAULT_MAX_CONNECTIONS_PER_ADDRESS in packages/core/src/http/connection-guard.ts, not a setting), so the
 * clients spread over 127.0.0.2, .3, … — 50 each leaves room for reconnects.
 */
export const SSE_PER_ADDRESS = 50;
/** How long after the last send a delivery may still arrive before it counts as never delivered. */
const GRACE_MS = 5_000;

const wallNow = () => performance.timeOrigin + performance.now();

export interface SseTarget {
  url: string;
  /** An admin's session token (accounts.users is an admin topic). */
  adminToken: string;
  /** The member whose role the triggers flip. */
  triggerUserId: string;
}

export interface SseRun {
  clients: number;
  describe: string;
  summary: DeliverySummary;
}

interface Child {
  call(request: ChildRequest): Promise<Extract<ChildAnswer, { ok: true }>>;
  stop(): Promise<void>;
}

function startChild(): Child {
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (answer: ChildAnswer) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on('message', (raw: unknown) => {
    const message = raw as ChildAnswer; // our own child's answers
    pending.get(message.id)?.resolve(message);
    pending.delete(message.id);
  });
  child.on('exit', (code, signal) => {
    for (const { reject } of pending.values())
      reject(new Error(`SSE client process exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    async call(request) {
      const id = nextId;
      nextId += 1;
      const answer = await new Promise<ChildAnswer>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...request, id });
      });
      if (!answer.ok) throw new Error(`SSE client process: ${answer.error}`);
      return answer;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Disconnecting makes the child close its streams and exit; it is killed (by its own PID) if it hangs.
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Flips the member's role once; resolves with the send time and the user's new `updatedAt`. */
async function trigger(
  target: SseTarget,
  role: 'admin' | 'member',
): Promise<{ sentAt: number; key: string }> {
  const sentAt = wallNow();
  const response = await fetch(`${target.url}/api/v1/users/${target.triggerUserId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${target.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  if (response.status !== 200)
    throw new Error(`PATCH user (trigger): HTTP ${response.status} ${await response.text()}`);
  const { updatedAt } = (await response.json()) as { updatedAt: unknown };
  if (typeof updatedAt !== 'string') throw new Error('PATCH user answered without updatedAt');
  return { sentAt, key: updatedAt };
}

/**
 * Triggers events for `seconds`, one at a time: the next goes once every stream has the last one (or
 * DELIVERY_TIMEOUT_MS passed) and SSE_INTERVAL_MS after the last send at the earliest. Each figure is then
 * one event's fan-out, not a queue of them: at a fixed rate, 1,000 clients on a busy 2-core machine fell
 * behind (p99 1.8 s at 10 events/s), which measured the backlog rather than the delivery.
 */
async function triggers(
  target: SseTarget,
  child: Child,
  clients: number,
  seconds: number,
  flip: { role: 'admin' | 'member' },
) {
  const sends: Record<string, number> = {};
  let last = '';
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const started = performance.now();
    flip.role = flip.role === 'admin' ? 'member' : 'admin';
    const { sentAt, key } = await trigger(target, flip.role);
    // Two events with one updatedAt could not be told apart: that would be a wrong answer, not noise.
    if (sends[key] !== undefined) throw new Error(`two triggers got the same updatedAt ${key}`);
    sends[key] = sentAt;
    last = key;
    // A delivery still missing after the timeout counts as never delivered in the report.
    await until(
      async () => ((await child.call({ kind: 'seen', key })).seen ?? 0) >= clients,
      DELIVERY_TIMEOUT_MS,
      5,
    ).catch(() => undefined);
    const wait = started + SSE_INTERVAL_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
  return { sends, last };
}

export async function measureSse(
  context: BenchmarkContext,
  target: SseTarget,
  clients: number,
): Promise<SseRun> {
  const child = startChild();
  try {
    const { opened = '' } = await child.call({
      kind: 'open',
      url: `${target.url}/api/v1/events?topics=accounts.users`,
      token: target.adminToken,
      count: clients,
      perAddress: SSE_PER_ADDRESS,
    });
    const flip = { role: 'member' as 'admin' | 'member' };
    const warm = await triggers(target, child, clients, context.warmupSec, flip);
    // Every stream must have the warm-up's last event before the measured run starts: all are subscribed.
    await until(async () => (await child.call({ kind: 'seen', key: warm.last })).seen === clients, 10_000);
    const measured = await triggers(target, child, clients, context.durationSec, flip);
    const deadline = performance.now() + GRACE_MS;
    const seen = async () => (await child.call({ kind: 'seen', key: measured.last })).seen ?? 0;
    while ((await seen()) < clients && performance.now() < deadline) await sleep(50);
    const { summary } = await child.call({ kind: 'report', sends: measured.sends });
    if (summary === undefined) throw new Error('SSE client process sent no summary');
    context.log(
      `  SSE ${clients} clients: ${summary.delivered} of ${summary.expected} deliveries, p50 ${summary.p50.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms, max ${summary.max.toFixed(2)} ms, median event to its last client ${summary.lastClientP50.toFixed(2)} ms (p99 from the event's own time ${summary.p99FromAt.toFixed(1)} ms)${summary.ended > 0 ? `, ${summary.ended} streams ENDED` : ''}`,
    );
    return { clients, describe: opened, summary };
  } finally {
    await child.stop();
  }
}
