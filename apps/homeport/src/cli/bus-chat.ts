// `homeport bus chat ROOM`: a line-mode chat in the terminal. Messages scroll above a prompt kept on the last
// line; what you type is shown only when it comes back from the room (sealed, sent, delivered and opened), so
// the screen never shows a message the others did not get. Ctrl-C or Ctrl-D leaves.

import { createInterface, type Interface } from 'node:readline';
import {
  asCliError,
  type BusConnectionFlags,
  describeFailure,
  openBusClient,
  resolveRoom,
} from './bus-connection.js';
import { chatLine, terminalSafe } from './bus-message-format.js';
import { connectionNotices } from './bus-messages.js';

/** Prints above the prompt: on a terminal the line being typed is redrawn under it, untouched. */
function screen(rl: Interface, terminal: boolean) {
  const out = process.stdout;
  return (line: string) => {
    if (!terminal) {
      out.write(`${line}\n`);
      return;
    }
    out.write('\r\x1b[2K'); // to the start of the prompt line, erased
    out.write(`${line}\n`);
    rl.prompt(true); // the prompt and whatever was typed so far, cursor where it was
  };
}

export async function busChat(roomArg: string, flags: BusConnectionFlags): Promise<void> {
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let print: (line: string) => void = (line) => console.log(line);
  const client = await openBusClient(flags, { onEvent: connectionNotices((line) => print(`! ${line}`)) });
  let rl: Interface | undefined;
  try {
    const room = await resolveRoom(client, roomArg);
    print(`room ${room.id} ${terminalSafe(room.name)} — Ctrl-D or Ctrl-C to leave`);
    const subscription = await client.subscribe(room.id, (message) => print(chatLine(message)));
    // Standard input is read only from here: a line typed (or piped) earlier waits in its buffer instead of
    // being read before anything listens for it.
    const input = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal,
      prompt: `${terminalSafe(room.name)}> `,
    });
    rl = input;
    print = screen(input, terminal);
    const closed = new Promise<void>((resolve) => input.once('close', resolve));
    // Ctrl-C on a terminal reaches readline as a key; SIGINT/SIGTERM from elsewhere reach the process.
    input.on('SIGINT', () => input.close());
    const leave = () => input.close();
    process.once('SIGINT', leave);
    process.once('SIGTERM', leave);
    if (terminal) input.prompt();

    // One publish at a time, in the order typed.
    let sending: Promise<void> = Promise.resolve();
    input.on('line', (line) => {
      // The typed line stays on screen after Enter; it is erased, and shown again only as the room's echo.
      if (terminal) process.stdout.write('\x1b[1A\r\x1b[2K');
      if (line.trim() === '') {
        if (terminal) input.prompt();
        return;
      }
      sending = sending.then(() =>
        client.publish(room.id, line).then(
          () => undefined,
          (error: unknown) => print(`! not sent: ${describeFailure(error)}`),
        ),
      );
      if (terminal) input.prompt();
    });

    await closed;
    process.off('SIGINT', leave);
    process.off('SIGTERM', leave);
    if (terminal) process.stdout.write('\n');
    await sending; // what was typed before leaving is sent before the connection closes
    await subscription.close();
  } catch (error) {
    throw asCliError(error);
  } finally {
    rl?.close();
    await client.close().catch(() => undefined); // leaving: a failure to close changes nothing for the user
  }
}
