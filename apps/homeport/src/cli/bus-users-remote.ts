// `homeport bus user add|list|revoke --url … --identity …`: the allowlist through the control plane's signed
// API, as an admin identity, so a bus admin manages it from any machine (and it works on the KV store, which
// the local commands cannot open). The server checks the signature, the nonce and the admin role.

import { printUsers, userToAdd } from './bus.js';
import { type BusConnectionFlags, signPubArgument, withBusClient } from './bus-connection.js';
import { terminalSafe } from './bus-message-format.js';

type RemoteFlags = BusConnectionFlags & Record<string, unknown>;

export async function busUserAddRemote(flags: RemoteFlags): Promise<void> {
  const input = userToAdd(flags);
  await withBusClient(flags, async (client) => {
    const user = await client.users.add(input);
    console.log(`added ${terminalSafe(user.handle)} (${user.role}) ${user.signPub}`);
  });
}

export async function busUserListRemote(flags: RemoteFlags): Promise<void> {
  await withBusClient(flags, async (client) => printUsers(await client.users.list(), flags.json === true));
}

export async function busUserRevokeRemote(signPub: string, flags: RemoteFlags): Promise<void> {
  const key = signPubArgument(signPub);
  await withBusClient(flags, async (client) => {
    const revoked = await client.users.revoke(key);
    console.log(
      `revoked ${terminalSafe(revoked.handle)}; its requests are refused and its NATS connections closed`,
    );
  });
}
