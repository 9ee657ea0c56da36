// `homeport bus …`: identity files, and the allowlist on the host's own database (how the first bus admin is
// seeded: nobody can sign as an admin before one exists). Running on the host is trusted, as for `homeport
// user`; everything else goes through the signed HTTP API.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type BusRole,
  type BusStore,
  type BusUserRecord,
  busMigrations,
  createSqliteBusStore,
} from '@homeport/bus';
import {
  createIdentityFile,
  endpointId,
  generateIdentity,
  type Identity,
  isSignPubHex,
  loadIdentity,
  signPubHex,
  toHex,
} from '@homeport/bus/crypto';
import { applyMigrations, coreSettings, openDatabase } from '@homeport/core';
import { BusCliError, signPubArgument } from './bus-connection.js';
import { terminalSafe } from './bus-message-format.js';
import { configFrom } from './flags.js';

function describeIdentity(path: string, identity: Identity): void {
  console.log(`identity   ${path}`);
  console.log(`sign-pub   ${signPubHex(identity)}`);
  console.log(`kex-pub    ${toHex(identity.kexPub)}`);
  console.log(`endpoint   ${endpointId(identity.signPub)}`);
}

/** `homeport bus identity new FILE`: a new identity file (0600); refuses to replace one. */
export async function busIdentityNew(file: string): Promise<void> {
  const path = resolve(file);
  const identity = generateIdentity();
  await createIdentityFile(path, identity);
  describeIdentity(path, identity);
  console.log('keep this file like an SSH key: losing it loses every room key sealed to it');
}

/** `homeport bus identity show FILE`: reads a Homeport or unibus identity file and prints its public keys. */
export async function busIdentityShow(file: string): Promise<void> {
  const path = resolve(file);
  describeIdentity(path, await loadIdentity(path));
}

/** `homeport bus identity import UNIBUS_FILE DEST`: copies a unibus identity into a new file (0600). */
export async function busIdentityImport(source: string, dest: string): Promise<void> {
  const identity = await loadIdentity(resolve(source));
  await createIdentityFile(resolve(dest), identity);
  describeIdentity(resolve(dest), identity);
}

/** The bus repositories on the host's SQLite database; the KV store is managed through the HTTP API. */
async function withBusStore<T>(
  options: Record<string, unknown>,
  work: (store: BusStore) => Promise<T>,
): Promise<T> {
  const config = configFrom(options);
  const core = config.read(coreSettings);
  if (core.store !== 'sqlite')
    throw new Error(
      'homeport bus user works on the local SQLite database; with HOMEPORT_STORE=kv add identities through the API signed as a bus admin, or as a Homeport admin in Settings → Bus',
    );
  const file = join(resolve(core.dataDir), 'homeport.db');
  if (!existsSync(file)) throw new Error(`${file} does not exist: start Homeport once first (npm start)`);
  const db = openDatabase(file);
  try {
    applyMigrations(db, 'bus', busMigrations);
    return await work(createSqliteBusStore(db));
  } finally {
    db.close();
  }
}

/** The identity `bus user add` names, checked the same way whether it goes to the database or the API. */
export function userToAdd(options: Record<string, unknown>): {
  signPub: string;
  kexPub: string;
  handle: string;
  role: BusRole;
} {
  const signPub = String(options.signPub ?? '');
  const kexPub = String(options.kexPub ?? '');
  if (!isSignPubHex(signPub) || !isSignPubHex(kexPub))
    throw new BusCliError(
      'bus_cli_usage',
      '--sign-pub and --kex-pub must be 64 hex characters (homeport bus identity show FILE prints them)',
    );
  const role: BusRole = options.role === 'admin' ? 'admin' : 'member';
  const handle = String(options.handle ?? '');
  if (handle.length === 0 || handle.length > 64)
    throw new BusCliError('bus_cli_usage', '--handle is required (1–64 characters)');
  return { signPub: signPub.toLowerCase(), kexPub: kexPub.toLowerCase(), handle, role };
}

export async function busUserAdd(options: Record<string, unknown>): Promise<void> {
  const input = userToAdd(options);
  await withBusStore(options, async (store) => {
    const user = await store.users.add({ ...input, userId: null }, new Date().toISOString());
    console.log(`added ${user.handle} (${user.role}) ${user.signPub}`);
  });
}

/** The allowlist as `bus user list` prints it. */
export function printUsers(
  users: readonly Pick<BusUserRecord, 'signPub' | 'role' | 'status' | 'handle'>[],
  json: boolean,
): void {
  if (json) {
    console.log(JSON.stringify(users, null, 2));
    return;
  }
  if (users.length === 0) {
    console.log('the allowlist is empty');
    return;
  }
  for (const user of users)
    console.log(
      `${user.signPub}  ${user.role.padEnd(6)}  ${user.status.padEnd(7)}  ${terminalSafe(user.handle)}`,
    );
}

export async function busUserList(options: Record<string, unknown>): Promise<void> {
  await withBusStore(options, async (store) => printUsers(await store.users.list(), options.json === true));
}

export async function busUserRevoke(signPub: string, options: Record<string, unknown>): Promise<void> {
  const key = signPubArgument(signPub);
  await withBusStore(options, async (store) => {
    const revoked = await store.users.revoke(key, new Date().toISOString());
    if (!revoked) throw new BusCliError('bus_cli_no_identity', 'no active identity with this key');
    console.log(
      `revoked ${revoked.handle}; a running Homeport refuses its requests at once and closes its NATS connections when it next pushes revocations (revoke through the API to close them now)`,
    );
  });
}
