// `homeport bus rooms`, `room create|delete`, `invite` and `remove`: the rooms of an identity, signed calls to
// the control plane through the SDK (which seals room keys on this machine; the server never sees one).

import type { RoomView } from '@homeport/bus/client';
import {
  BusCliError,
  type BusConnectionFlags,
  resolveRoom,
  signPubArgument,
  withBusClient,
} from './bus-connection.js';
import { terminalSafe } from './bus-message-format.js';

/** `encrypted, persisted, signed, history shared` — what a room is, in words. */
export function describePolicy(room: RoomView): string {
  const words = [
    room.policy.encrypted ? 'encrypted' : 'CLEARTEXT',
    room.policy.persisted ? 'persisted' : 'ephemeral',
    room.policy.signed ? 'signed' : 'unsigned',
    `history ${room.history}`,
  ];
  if (room.kind === 'agent') words.unshift('agent');
  return words.join(', ');
}

export async function busRooms(flags: BusConnectionFlags & { json?: boolean }): Promise<void> {
  await withBusClient(flags, async (client) => {
    const rooms = await client.listRooms();
    if (flags.json === true) {
      console.log(JSON.stringify(rooms, null, 2));
      return;
    }
    if (rooms.length === 0) {
      console.log('no rooms yet (homeport bus room create NAME makes one)');
      return;
    }
    for (const room of rooms)
      console.log(
        `${room.id}  ${room.myRole.padEnd(6)}  epoch ${String(room.epoch).padEnd(4)} ${terminalSafe(room.name)}  (${describePolicy(room)})`,
      );
  });
}

export interface CreateRoomFlags extends BusConnectionFlags {
  ephemeral?: boolean;
  cleartext?: boolean;
  history?: string;
  agent?: boolean;
  json?: boolean;
}

export async function busRoomCreate(name: string, flags: CreateRoomFlags): Promise<void> {
  const history = flags.history ?? 'shared';
  if (history !== 'shared' && history !== 'joined')
    throw new BusCliError('bus_cli_usage', `--history must be shared or joined, got "${history}"`);
  await withBusClient(flags, async (client) => {
    const room = await client.createRoom({
      name,
      kind: flags.agent === true ? 'agent' : 'chat',
      policy: { encrypted: flags.cleartext !== true, persisted: flags.ephemeral !== true },
      history,
    });
    if (flags.json === true) console.log(JSON.stringify(room, null, 2));
    else console.log(`created ${room.id} ${terminalSafe(room.name)} (${describePolicy(room)})`);
  });
}

export async function busRoomDelete(roomArg: string, flags: BusConnectionFlags): Promise<void> {
  await withBusClient(flags, async (client) => {
    const room = await resolveRoom(client, roomArg);
    await client.control.call('DELETE', `/rooms/${room.id}`);
    console.log(`deleted ${room.id} ${terminalSafe(room.name)}`);
  });
}

export async function busInvite(roomArg: string, signPub: string, flags: BusConnectionFlags): Promise<void> {
  const key = signPubArgument(signPub);
  await withBusClient(flags, async (client) => {
    const room = await resolveRoom(client, roomArg);
    const members = await client.invite(room.id, key);
    const invited = members.find((member) => member.signPub === key);
    console.log(
      `invited ${terminalSafe(invited?.handle ?? key)} to ${room.id} ${terminalSafe(room.name)}; ${members.length} members`,
    );
  });
}

export async function busRemove(roomArg: string, signPub: string, flags: BusConnectionFlags): Promise<void> {
  const key = signPubArgument(signPub);
  await withBusClient(flags, async (client) => {
    const room = await resolveRoom(client, roomArg);
    const after = await client.remove(room.id, key);
    console.log(
      `removed ${key} from ${room.id} ${terminalSafe(room.name)}; now at epoch ${after.epoch} (its connections were closed)`,
    );
  });
}
