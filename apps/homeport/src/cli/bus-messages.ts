// `homeport bus send ROOM MESSAGE|-` and `homeport bus tail ROOM`: one message sealed and published, and a
// room's messages printed as they are opened — history first in a persisted room, then live.

import type { BusClientEvent, BusMessage } from '@homeport/bus/client';
import { MAX_PAYLOAD_BYTES } from '@homeport/bus/crypto';
import { BusCliError, type BusConnectionFlags, resolveRoom, withBusClient } from './bus-connection.js';
import { messageJson, messageLine } from './bus-message-format.js';

/** Standard input as bytes, refused past the largest payload a frame takes. */
async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const bytes = chunk as Buffer; // stdin without an encoding yields Buffers
    size += bytes.byteLength;
    if (size > MAX_PAYLOAD_BYTES)
      throw new BusCliError(
        'bus_cli_usage',
        `standard input is over ${MAX_PAYLOAD_BYTES} bytes, the largest message`,
      );
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** The message to send: the argument as UTF-8, or standard input for `-` (one trailing newline dropped). */
async function messageBytes(message: string): Promise<Uint8Array> {
  if (message !== '-') return new TextEncoder().encode(message);
  const bytes = await readStdin();
  return bytes.at(-1) === 0x0a ? bytes.subarray(0, bytes.byteLength - 1) : bytes;
}

/** `homeport bus send`: prints the frame id once the message is out (acknowledged by the stream when persisted). */
export async function busSend(roomArg: string, message: string, flags: BusConnectionFlags): Promise<void> {
  const payload = await messageBytes(message);
  await withBusClient(flags, async (client) => {
    const room = await resolveRoom(client, roomArg);
    const id = await client.publish(room.id, payload);
    console.log(id);
  });
}

export interface TailFlags extends BusConnectionFlags {
  json?: boolean;
  count?: string;
}

/** Resolves on SIGINT or SIGTERM (after which the caller closes the client), and removes its listeners. */
export function untilInterrupted(): { stopped: Promise<void>; dispose(): void } {
  let dispose: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    dispose = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  });
  return { stopped, dispose };
}

function countOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new BusCliError('bus_cli_usage', `--count must be a whole number ≥ 1, got "${text}"`);
  return count;
}

/**
 * What the SDK reports, as lines for `print`. The SDK reconnects on purpose (a renewed credential, a room
 * joined), in milliseconds: a lost connection is told only when it stays lost for 2 s, and then its return.
 */
export function connectionNotices(print: (line: string) => void): (event: BusClientEvent) => void {
  let lost: NodeJS.Timeout | undefined;
  let told = false;
  return (event) => {
    if (event.type === 'dropped') print(`a frame was dropped (${event.reason})`);
    else if (event.type === 'removed') print(`removed from room ${event.roomId}`);
    else if (event.type === 'disconnected') {
      clearTimeout(lost);
      lost = setTimeout(() => {
        told = true;
        print('NATS connection lost, reconnecting…');
      }, 2000);
      lost.unref();
    } else if (event.type === 'reconnected') {
      clearTimeout(lost);
      if (told) print(`reconnected to ${event.server}`);
      told = false;
    }
  };
}

/** `homeport bus tail`: runs until Ctrl-C (or `--count` messages), one line per message. */
export async function busTail(roomArg: string, flags: TailFlags): Promise<void> {
  const limit = countOf(flags.count);
  const interrupted = untilInterrupted();
  try {
    await withBusClient(
      flags,
      async (client) => {
        const room = await resolveRoom(client, roomArg);
        let seen = 0;
        let reachedLimit: () => void = () => undefined;
        const limitReached = new Promise<void>((resolve) => {
          reachedLimit = resolve;
        });
        const subscription = await client.subscribe(room.id, (message: BusMessage) => {
          // Past the count, hold the message unanswered: the SDK acknowledges a persisted room's message once
          // the handler returns, and this one was not printed, so the next reader must get it.
          if (limit !== undefined && seen >= limit) return new Promise<void>(() => undefined);
          seen += 1;
          console.log(flags.json === true ? messageJson(message) : messageLine(message));
          if (limit !== undefined && seen >= limit) reachedLimit();
          return undefined;
        });
        const why = await Promise.race([
          interrupted.stopped.then(() => 'interrupted' as const),
          limitReached.then(() => 'limit' as const),
        ]);
        if (why === 'interrupted') {
          await subscription.close();
          return;
        }
        // At the count a message past it is held unanswered, and the SDK's reader never ends while its loop
        // waits in that handler (closing it, draining or even closing the connection leave its timers
        // running): close the connection at once, so what was held goes back to the stream unacknowledged
        // for the next reader, and leave once what was printed is written out.
        await (await client.connect()).close();
        await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
        process.exit(0);
      },
      { onEvent: connectionNotices((line) => console.error(`homeport: ${line}`)) },
    );
  } finally {
    interrupted.dispose();
  }
}
