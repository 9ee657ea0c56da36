// `homeport user …`: bootstrap and recovery on the local database, without the server running.

import { ACCOUNTS, type AccountsService, toPublicUser } from '@homeport/accounts';
import { createLogger, flushLogger } from '@homeport/core';
import { createHomeport, moduleCatalogue } from '../compose.js';
import { configFrom } from './flags.js';
import { choosePassword } from './prompt.js';

/**
 * Runs `work` against the same composition as the server (without listening), so a change made here reaches
 * every module the server would tell: disabling a user here also revokes their NAS mount credentials, in the
 * shared database the server reads.
 */
async function withAccounts<T>(
  options: Record<string, unknown>,
  work: (service: AccountsService) => Promise<T>,
): Promise<T> {
  const log = createLogger({ level: 'error' });
  const homeport = await createHomeport({
    config: configFrom(options),
    log,
    collectProcessMetrics: false,
    ensureFirstAdmin: false,
    // Not the bus: it would start a second nats-server on the running server's data dir. Bus identities of
    // an account end with it anyway: every bus request checks the owning account is active.
    catalogue: moduleCatalogue().filter((module) => module.name !== 'bus'),
  });
  try {
    return await work(homeport.requireModule(ACCOUNTS).service);
  } finally {
    await homeport.close();
    // main may exit right after an error: write out what the batching logger still holds.
    await flushLogger(log);
  }
}

function printPassword(username: string, password: string): void {
  console.log(`password for ${username}: ${password}`);
  console.log('(shown once; it is stored only as an argon2id hash)');
}

export async function userAdd(username: string, options: Record<string, unknown>): Promise<void> {
  const role = options.role === 'admin' ? 'admin' : 'member';
  await withAccounts(options, async (service) => {
    const { password, generated } = await choosePassword(options.passwordStdin === true);
    const user = await service.createUser({ username, password, role });
    console.log(`created ${user.username} (${user.role}, id ${user.id})`);
    if (generated) printPassword(user.username, password);
  });
}

export async function userList(options: Record<string, unknown>): Promise<void> {
  await withAccounts(options, async (service) => {
    const users = (await service.listUsers()).map(toPublicUser);
    if (options.json === true) {
      console.log(JSON.stringify(users, null, 2));
      return;
    }
    if (users.length === 0) {
      console.log('no users yet');
      return;
    }
    const width = Math.max(8, ...users.map((user) => user.username.length));
    console.log(`${'USERNAME'.padEnd(width)}  ROLE    STATUS    CREATED`);
    for (const user of users) {
      console.log(
        `${user.username.padEnd(width)}  ${user.role.padEnd(6)}  ${user.status.padEnd(8)}  ${user.createdAt}`,
      );
    }
  });
}

export async function userUpdate(
  username: string,
  patch: { role?: 'admin' | 'member'; status?: 'active' | 'disabled' },
  options: Record<string, unknown>,
): Promise<void> {
  await withAccounts(options, async (service) => {
    const user = await service.findUser(username);
    const updated = await service.updateUser(user.id, patch);
    console.log(`${updated.username}: role ${updated.role}, status ${updated.status}`);
  });
}

export async function userResetPassword(username: string, options: Record<string, unknown>): Promise<void> {
  await withAccounts(options, async (service) => {
    const user = await service.findUser(username);
    const { password, generated } = await choosePassword(options.passwordStdin === true);
    const keepApiTokens = options.keepApiTokens === true;
    await service.updateUser(user.id, { password, keepApiTokens });
    console.log(
      `password of ${user.username} changed; their sessions${keepApiTokens ? '' : ' and API tokens'} were ended`,
    );
    if (generated) printPassword(user.username, password);
  });
}
