// `homeport bus check`: end-to-end verification with a real identity against a live Homeport (unibus's
// clientcheck is the floor). It creates an ephemeral room that is encrypted and signed — nothing is left in a
// stream — and either publishes N messages and expects N back decrypted (golden), or publishes a counter
// every interval for a while, logging which NATS server it is attached to, so a node stopped mid-run shows
// the client failing over and receiving on (loop). The room is deleted at the end, pass or fail.

import { randomBytes } from 'node:crypto';
import type { BusClient, BusClientEvent } from '@homeport/bus/client';
import { parseDuration } from '@homeport/core';
import { type LinkState, runLoop } from './bus-check-loop.js';
import {
  asCliError,
  BusCliError,
  type BusConnectionFlags,
  describeFailure,
  openBusClient,
} from './bus-connection.js';

export interface CheckFlags extends BusConnectionFlags {
  messages: string;
  mode: string;
  duration: string;
  interval: string;
}

interface CheckPlan {
  mode: 'golden' | 'loop';
  messages: number;
  durationMs: number;
  intervalMs: number;
}

/** How long golden mode waits for the last echo. */
const GOLDEN_WAIT_MS = 15_000;

function planOf(flags: CheckFlags): CheckPlan {
  if (flags.mode !== 'golden' && flags.mode !== 'loop')
    throw new BusCliError('bus_cli_usage', `--mode must be golden or loop, got "${flags.mode}"`);
  const messages = Number(flags.messages);
  if (!Number.isSafeInteger(messages) || messages < 1 || messages > 100_000)
    throw new BusCliError(
      'bus_cli_usage',
      `--messages must be a whole number from 1 to 100000, got "${flags.messages}"`,
    );
  const durationMs = parseDuration(flags.duration);
  const intervalMs = parseDuration(flags.interval);
  if (durationMs === undefined || durationMs < 1)
    throw new BusCliError(
      'bus_cli_usage',
      `--duration must be a duration such as 30s, got "${flags.duration}"`,
    );
  if (intervalMs === undefined || intervalMs < 10)
    throw new BusCliError(
      'bus_cli_usage',
      `--interval must be a duration of at least 10ms, got "${flags.interval}"`,
    );
  return { mode: flags.mode, messages, durationMs, intervalMs };
}

export async function busCheck(flags: CheckFlags): Promise<void> {
  const plan = planOf(flags);
  const link: LinkState = { up: false, server: undefined, outages: [], failovers: 0 };
  // Set once the verdict is in: the reconnects that deleting the room causes are not news.
  let finished = false;
  const onEvent = (event: BusClientEvent) => {
    if (finished) return;
    if (event.type === 'connected' || event.type === 'reconnected') {
      const outage = link.outages.at(-1);
      if (outage !== undefined && outage.to === undefined) outage.to = Date.now();
      if (link.server !== undefined && event.server !== link.server) {
        link.failovers += 1;
        console.log(`FAILOVER: now attached to ${event.server} (was ${link.server})`);
      } else if (event.type === 'reconnected') console.log(`reconnected to ${event.server}`);
      link.up = true;
      link.server = event.server;
    } else if (event.type === 'disconnected') {
      if (link.up) link.outages.push({ from: Date.now(), to: undefined });
      link.up = false;
      console.log(`NATS connection to ${link.server ?? '?'} lost; reconnecting…`);
    } else if (event.type === 'dropped') console.log(`  DROPPED a frame: ${event.reason}`);
  };
  const client = await openBusClient(flags, { onEvent });
  let roomId: string | undefined;
  try {
    const name = `check-${randomBytes(8).toString('hex')}`;
    const room = await client.createRoom({
      name,
      policy: { encrypted: true, signed: true, persisted: false },
    });
    roomId = room.id;
    console.log(`created room ${room.id} ${name} (encrypted, signed, ephemeral)`);
    await client.connect();
    console.log(`connected: endpoint=${client.endpointId} server=${client.server ?? '?'}`);
    if (plan.mode === 'golden') await runGolden(client, room.id, plan.messages);
    else await runLoop(client, room.id, plan, link);
  } catch (error) {
    throw asCliError(error);
  } finally {
    finished = true;
    if (roomId !== undefined) {
      try {
        await client.control.call('DELETE', `/rooms/${roomId}`);
        console.log(`deleted room ${roomId}`);
      } catch (error) {
        console.error(`homeport: could not delete room ${roomId}: ${describeFailure(error)}`);
      }
    }
    await client.close().catch(() => undefined); // the verdict is already decided
  }
}

/** Publishes n messages and expects each back, decrypted, within 15 s; names every one that did not come. */
async function runGolden(client: BusClient, roomId: string, n: number): Promise<void> {
  const got = new Set<string>();
  let allArrived: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => {
    allArrived = resolve;
  });
  const subscription = await client.subscribe(roomId, (message) => {
    got.add(new TextDecoder().decode(message.payload));
    if (got.size >= n) allArrived();
  });
  const want = Array.from({ length: n }, (_, index) => `check-${index}`);
  for (const text of want) await client.publish(roomId, text);
  console.log(`published ${n} messages; waiting for them decrypted…`);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    arrived,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, GOLDEN_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  await subscription.close();
  const missing = want.filter((text) => !got.has(text));
  for (const text of missing) console.log(`  MISSING: ${text}`);
  console.log(`server at finish: ${client.server ?? '(none)'}`);
  if (missing.length > 0)
    throw new BusCliError(
      'bus_cli_check_failed',
      `GOLDEN FAIL: ${missing.length}/${n} messages not received decrypted`,
    );
  console.log(`GOLDEN OK: all ${n} messages received and decrypted end to end`);
}
