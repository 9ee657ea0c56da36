// What every `homeport bus` client command shares: its flags (control-plane seed list, identity file, pinned
// CA, NATS servers), the SDK client they make, room names resolved to ids, and failures turned into one line.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BusClient, BusClientError, type BusClientEvent, type RoomView } from '@homeport/bus/client';
import { isSignPubHex, loadIdentity } from '@homeport/bus/crypto';
import { type ErrorKind, errorClass, HomeportError } from '@homeport/core';
import type { BusConnectionFlags } from './bus-flags.js';

const KINDS = {
  /** A flag is missing or malformed (no --url, a bad key, an unreadable CA file). */
  bus_cli_usage: 'bad_request',
  /** No room of that name or id among the identity's rooms, or several of that name. */
  bus_cli_room: 'not_found',
  /** `bus user revoke` on the local database: no active identity has that key. */
  bus_cli_no_identity: 'not_found',
  /** The control plane or NATS refused or failed the call; the message says which and why. */
  bus_cli_failed: 'unavailable',
  /** `bus check` saw messages go missing, or none arrive. */
  bus_cli_check_failed: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

/** An error of a bus client command: `homeport` prints its message as one line and exits 1. */
export class BusCliError extends errorClass(KINDS) {}

const ROOM_ID = /^[a-z2-7]{20}$/;

// The flags are declared in bus-flags.ts, which the program loads without the SDK.
export type { BusConnectionFlags } from './bus-flags.js';

export interface OpenBusOptions {
  onEvent?: (event: BusClientEvent) => void;
}

/** The SDK client the flags describe; the identity and the CA are read here, so a bad file fails first. */
export async function openBusClient(
  flags: BusConnectionFlags,
  options: OpenBusOptions = {},
): Promise<BusClient> {
  const urls = flags.url ?? [];
  const natsServers = flags.natsServer ?? [];
  if (urls.length === 0)
    throw new BusCliError(
      'bus_cli_usage',
      '--url is required: the control plane, e.g. --url https://homeport.lan',
    );
  if (flags.identity === undefined)
    throw new BusCliError(
      'bus_cli_usage',
      '--identity is required: an identity file (homeport bus identity new FILE makes one)',
    );
  const identity = await loadIdentity(resolve(flags.identity));
  let ca: string | undefined;
  if (flags.ca !== undefined) {
    try {
      ca = await readFile(resolve(flags.ca), 'utf8');
    } catch (error) {
      throw new BusCliError('bus_cli_usage', `--ca ${flags.ca}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new BusCliError('bus_cli_usage', `--ca ${flags.ca}: not a PEM certificate`);
  }
  try {
    return BusClient.create({
      controlUrls: urls,
      identity,
      ...(ca === undefined ? {} : { ca }),
      ...(natsServers.length === 0 ? {} : { natsServers }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    });
  } catch (error) {
    // The SDK checks the URLs (scheme, loopback-only http, https with a CA) when it is made.
    throw new BusCliError('bus_cli_usage', `--url: ${(error as Error).message}`, { cause: error });
  }
}

/** A sign-pub argument, lower-cased, or a usage error naming what is wrong. */
export function signPubArgument(value: string): string {
  if (!isSignPubHex(value))
    throw new BusCliError(
      'bus_cli_usage',
      `${value}: a sign-pub is 64 hex characters (homeport bus identity show FILE prints it)`,
    );
  return value.toLowerCase();
}

/** A room named by its id (20 characters a–z, 2–7) or, when unambiguous, by its name. */
export async function resolveRoom(client: BusClient, nameOrId: string): Promise<RoomView> {
  const rooms = await client.listRooms();
  if (ROOM_ID.test(nameOrId)) {
    const byId = rooms.find((room) => room.id === nameOrId);
    if (byId) return byId;
  }
  const named = rooms.filter((room) => room.name === nameOrId);
  const [only] = named;
  if (named.length === 1 && only) return only;
  if (named.length > 1)
    throw new BusCliError(
      'bus_cli_room',
      `${named.length} of your rooms are named "${nameOrId}": use the id (${named.map((room) => room.id).join(', ')})`,
    );
  throw new BusCliError(
    'bus_cli_room',
    `no room "${nameOrId}" among this identity's rooms (homeport bus rooms lists them)`,
  );
}

/** One line for a failure of the control plane, NATS or the network, naming what failed. */
export function describeFailure(error: unknown): string {
  if (error instanceof BusClientError) {
    const reason = (error.details as { reason?: unknown } | undefined)?.reason;
    const why = typeof reason === 'string' ? ` (${reason})` : '';
    return `the control plane answered ${error.status} ${error.code}${why}: ${error.message}`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT')
    return `cannot reach the control plane: ${message}`;
  if (code !== undefined && /^(CONNECTION_REFUSED|AUTHORIZATION_VIOLATION|PERMISSIONS_VIOLATION)$/.test(code))
    return `NATS: ${message}`;
  if (/certificate|self[- ]signed|TLS|SSL/i.test(message)) return `TLS: ${message}`;
  return message;
}

/**
 * Runs a client command: errors of the CLI and of the crypto (Homeport errors) pass as they are, anything
 * else becomes one BusCliError line; the client is closed either way.
 */
export async function withBusClient<T>(
  flags: BusConnectionFlags,
  work: (client: BusClient) => Promise<T>,
  options: OpenBusOptions = {},
): Promise<T> {
  const client = await openBusClient(flags, options);
  try {
    return await work(client);
  } catch (error) {
    throw asCliError(error);
  } finally {
    await client.close().catch(() => undefined); // closing after a failure: the failure is what matters
  }
}

/** An error as `homeport` prints it: Homeport errors unchanged, the rest described in one line. */
export function asCliError(error: unknown): Error {
  // The CLI's own, the crypto's (an identity file) and the core's errors are one line already.
  if (error instanceof HomeportError) return error;
  return new BusCliError('bus_cli_failed', describeFailure(error), { cause: error });
}
