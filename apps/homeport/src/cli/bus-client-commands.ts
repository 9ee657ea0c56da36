// The `homeport bus` commands that act as a member through the SDK — send, tail, chat, rooms, room create and
// delete, invite, remove, check — each signed by an identity file and talking to a Homeport's control plane.

// Each action imports its implementation when it runs: the SDK (NATS client, HPKE) is loaded by a bus command,
// never by `homeport start`.

import type { Command } from 'commander';
import type { CheckFlags } from './bus-check.js';
import { type BusConnectionFlags, withConnectionFlags } from './bus-flags.js';
import type { TailFlags } from './bus-messages.js';
import type { CreateRoomFlags } from './bus-rooms.js';

/** Examples for `homeport bus --help`. */
export const BUS_CLIENT_EXAMPLES = `
  # as a member (every command below takes --url, --identity and, for https with a private CA, --ca):
  B="--url https://homeport.lan --identity ~/.config/homeport/bus.id"
  homeport bus room create ops $B                         # encrypted, persisted, signed; prints the id
  homeport bus invite ops <bob's sign-pub> $B
  homeport bus send ops 'deploy at 5' $B
  df -h | homeport bus send ops - $B                      # the message from standard input
  homeport bus tail ops $B                                # history, then live; --json for one object a line
  homeport bus chat ops $B
  homeport bus check $B                                   # publish 5, expect 5 back decrypted
  homeport bus check --mode loop --duration 45s $B --nats-server nats://n1:4222,nats://n2:4222,nats://n3:4222`;

/** Adds the member commands to `homeport bus`. */
export function addBusClientCommands(bus: Command): void {
  withConnectionFlags(
    bus
      .command('send <room> <message>')
      .description('seal and publish one message (- reads it from standard input); prints its id'),
  ).action(async (room: string, message: string, flags: BusConnectionFlags) =>
    (await import('./bus-messages.js')).busSend(room, message, flags),
  );

  withConnectionFlags(
    bus
      .command('tail <room>')
      .description("print a room's messages, history first in a persisted room, then live, until Ctrl-C"),
  )
    .option('--json', 'one JSON object per message')
    .option('-n, --count <n>', 'exit after this many messages')
    .action(async (room: string, flags: TailFlags) =>
      (await import('./bus-messages.js')).busTail(room, flags),
    );

  withConnectionFlags(
    bus
      .command('chat <room>')
      .description('chat in a room in this terminal (your messages appear when the room echoes them)'),
  ).action(async (room: string, flags: BusConnectionFlags) =>
    (await import('./bus-chat.js')).busChat(room, flags),
  );

  withConnectionFlags(bus.command('rooms').description('list the rooms this identity is a member of'))
    .option('--json', 'print JSON')
    .action(async (flags: BusConnectionFlags & { json?: boolean }) =>
      (await import('./bus-rooms.js')).busRooms(flags),
    );

  const room = bus.command('room').description('create and delete rooms');
  withConnectionFlags(
    room
      .command('create <name>')
      .description('create a room (encrypted, persisted and signed unless told otherwise); prints its id'),
  )
    .option('--ephemeral', 'no stream: live only, no history')
    .option('--cleartext', 'not encrypted (refused on a public bind)')
    .option('--history <visibility>', 'shared (a new member reads from the start) or joined', 'shared')
    .option('--agent', 'an agent room (agent.<name>.in/out request and reply)')
    .option('--json', 'print the room as JSON')
    .action(async (name: string, flags: CreateRoomFlags) =>
      (await import('./bus-rooms.js')).busRoomCreate(name, flags),
    );
  withConnectionFlags(
    room
      .command('delete <room>')
      .description('delete a room, its members, keys and history (owner or admin)'),
  ).action(async (name: string, flags: BusConnectionFlags) =>
    (await import('./bus-rooms.js')).busRoomDelete(name, flags),
  );

  withConnectionFlags(
    bus
      .command('invite <room> <signPub>')
      .description('add an identity on the allowlist to a room, sealing the room keys to it'),
  ).action(async (name: string, signPub: string, flags: BusConnectionFlags) =>
    (await import('./bus-rooms.js')).busInvite(name, signPub, flags),
  );

  withConnectionFlags(
    bus
      .command('remove <room> <signPub>')
      .description(
        'remove a member and start the next epoch with a key the others get (closes its connections)',
      ),
  ).action(async (name: string, signPub: string, flags: BusConnectionFlags) =>
    (await import('./bus-rooms.js')).busRemove(name, signPub, flags),
  );

  withConnectionFlags(
    bus
      .command('check')
      .description(
        'end-to-end check: an ephemeral encrypted signed room, messages out and back decrypted; deleted after',
      ),
  )
    .option('--messages <n>', 'golden: how many to publish and expect back', '5')
    .option(
      '--mode <mode>',
      'golden (publish N, expect N) or loop (a counter every interval, for failover)',
      'golden',
    )
    .option('--duration <duration>', 'loop: how long to run', '30s')
    .option('--interval <duration>', 'loop: time between messages', '1s')
    .action(async (flags: CheckFlags) => (await import('./bus-check.js')).busCheck(flags));
}
