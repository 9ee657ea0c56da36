// `homeport bus check --mode loop`: a counter published every interval for a while, one log line per tick
// naming the NATS server the client is attached to, so a node stopped mid-run shows the client failing over
// and receiving on. Core NATS delivers at most once, so a frame in flight on the node that died may be lost:
// a missing counter is excused only when it was sent during an outage (or the interval before it was seen);
// any other loss, a connection still down at the end, or nothing received at all fails the check.

import type { BusClient } from '@homeport/bus/client';
import { formatDuration } from '@homeport/core';
import { BusCliError, describeFailure } from './bus-connection.js';
import { untilInterrupted } from './bus-messages.js';

export interface LoopPlan {
  durationMs: number;
  intervalMs: number;
}

/** What the SDK reported about the NATS connection, kept by busCheck's event handler. */
export interface LinkState {
  up: boolean;
  /** The server attached to last (`host:port`). */
  server: string | undefined;
  /** Outages: from a disconnect to the next (re)connect, `to` undefined while it lasts. */
  outages: { from: number; to: number | undefined }[];
  failovers: number;
}

const PREFIX = 'check-loop-';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `3..5, 9` — counters as ranges, at most `limit` of them. */
export function ranges(numbers: readonly number[], limit = 40): string {
  const parts: string[] = [];
  let index = 0;
  while (index < numbers.length && parts.length < limit) {
    const start = numbers[index] as number;
    let end = start;
    while (numbers[index + 1] === end + 1) {
      end += 1;
      index += 1;
    }
    parts.push(start === end ? String(start) : `${start}..${end}`);
    index += 1;
  }
  return index < numbers.length ? `${parts.join(', ')}, …` : parts.join(', ');
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runLoop(
  client: BusClient,
  roomId: string,
  plan: LoopPlan,
  link: LinkState,
): Promise<void> {
  const received = new Set<number>();
  const subscription = await client.subscribe(roomId, (message) => {
    const text = new TextDecoder().decode(message.payload);
    if (text.startsWith(PREFIX)) received.add(Number(text.slice(PREFIX.length)));
  });
  const sentAt: number[] = [];
  const ticksOn = new Map<string, number>();
  const interrupted = untilInterrupted();
  let stop = false;
  void interrupted.stopped.then(() => {
    stop = true;
  });
  console.log(
    `loop: publishing every ${formatDuration(plan.intervalMs)} for ${formatDuration(plan.durationMs)} — stop a NATS node now to see the failover`,
  );
  const started = Date.now();
  try {
    while (!stop && Date.now() - started < plan.durationMs) {
      const tickStarted = Date.now();
      let publishStatus = 'ok';
      const counter = sentAt.length;
      sentAt.push(tickStarted);
      try {
        // Publishing while reconnecting is buffered by the client; the bound only catches a hung call.
        await withTimeout(client.publish(roomId, `${PREFIX}${counter}`), Math.max(plan.intervalMs, 5000));
      } catch (error) {
        publishStatus = `ERR:${describeFailure(error)}`;
      }
      const server = link.up ? link.server : undefined;
      if (server !== undefined) ticksOn.set(server, (ticksOn.get(server) ?? 0) + 1);
      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `t=${elapsed}s sent=${sentAt.length} recv=${received.size} up=${link.up} server=${server ?? '-'} publish=${publishStatus}`,
      );
      await sleep(Math.max(0, plan.intervalMs - (Date.now() - tickStarted)));
    }
    // The last ticks' messages may still be on their way.
    const deadline = Date.now() + Math.max(2000, plan.intervalMs * 2);
    while (received.size < sentAt.length && Date.now() < deadline) await sleep(20);
  } finally {
    interrupted.dispose();
    await subscription.close().catch(() => undefined); // the counts are what is reported
  }
  verdict(sentAt, received, link, plan, ticksOn);
}

/** Prints the summary and throws the failure, if any: what `bus check --mode loop` ends with. */
export function verdict(
  sentAt: readonly number[],
  received: ReadonlySet<number>,
  link: LinkState,
  plan: LoopPlan,
  ticksOn: ReadonlyMap<string, number>,
): void {
  // A frame published up to one interval before the disconnect was seen may have died with the node.
  const inOutage = (time: number) =>
    link.outages.some(
      (outage) => time >= outage.from - plan.intervalMs && time <= (outage.to ?? Number.POSITIVE_INFINITY),
    );
  const excused: number[] = [];
  const lost: number[] = [];
  sentAt.forEach((time, counter) => {
    if (received.has(counter)) return;
    (inOutage(time) ? excused : lost).push(counter);
  });
  const missing = excused.length + lost.length;
  console.log(`loop done: sent=${sentAt.length} received=${received.size} missing=${missing}`);
  for (const [server, ticks] of [...ticksOn].sort(([a], [b]) => a.localeCompare(b)))
    console.log(`  attached to ${server} for ${ticks} ticks`);
  if (excused.length > 0) console.log(`  MISSING during an outage: ${PREFIX}${ranges(excused)}`);
  if (lost.length > 0) console.log(`  MISSING while connected: ${PREFIX}${ranges(lost)}`);
  if (link.failovers > 0)
    console.log(`FAILOVER OBSERVED: ${link.failovers} time(s); attached to ${link.server ?? '?'} at the end`);
  if (received.size === 0) throw new BusCliError('bus_cli_check_failed', 'LOOP FAIL: received 0 messages');
  const open = link.outages.find((outage) => outage.to === undefined);
  if (open !== undefined)
    throw new BusCliError(
      'bus_cli_check_failed',
      `LOOP FAIL: the NATS connection was lost at t=${((open.from - (sentAt[0] ?? open.from)) / 1000).toFixed(1)}s and never came back; ${missing}/${sentAt.length} messages missing`,
    );
  if (lost.length > 0)
    throw new BusCliError(
      'bus_cli_check_failed',
      `LOOP FAIL: ${lost.length}/${sentAt.length} messages lost while connected`,
    );
  console.log(
    `LOOP OK: kept receiving across the run (received=${received.size}, ${excused.length} lost during outages)`,
  );
}
