// Account JWT updates at runtime: a new revocation list is signed into the account's JWT, written where the
// next start preloads it, and pushed to the running server through Homeport's system-account user, which
// closes the connections of the revoked users at once (and, in a cluster, every node's resolver stores it).

import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { readIfExists, writePrivate } from '../fs/private-files.js';
import { checkedRevocations, newestAccountJwt, signAccountJwt } from './account-jwt.js';
import { connectNats, NATS_REQUEST_TIMEOUT_MS } from './client.js';
import { NatsError } from './errors.js';
import { identityPaths, type NatsIdentity } from './identity.js';
import { accountClaims, type NatsAccountName } from './layout.js';
import type { NatsTlsTrust } from './member-tls.js';

export interface AccountUpdaterOptions {
  /** `<dataDir>/nats`. */
  natsDir: string;
  identity: NatsIdentity;
  /** The managed server's client URL. */
  url: string;
  /** How to verify it, when its client listener is the member listener (TLS). */
  tls?: NatsTlsTrust | undefined;
  log: Logger;
  /** Called with each account JWT signed, once written (the server config's preload follows it). */
  onSigned?: (accountPublicKey: string, jwt: string) => void;
  /** Bound of the system connection's first connect and of the server's answer (default 5 s). */
  timeoutMs?: number;
}

export interface AccountUpdater {
  /** Replaces the account's revocation list; resolves once the running server has stored the new JWT. */
  setRevocations(account: NatsAccountName, revocations: Readonly<Record<string, number>>): Promise<void>;
  /** Closes the system connection, if one was opened. */
  close(): Promise<void>;
}

/** What nats-server's full resolver answers to a claims update (`respondToUpdate` in its accounts.go). */
const UpdateReply = Compile(
  Type.Object({
    data: Type.Optional(
      Type.Object({ code: Type.Optional(Type.Number()), message: Type.Optional(Type.String()) }),
    ),
    error: Type.Optional(
      Type.Object({ code: Type.Optional(Type.Number()), description: Type.Optional(Type.String()) }),
    ),
  }),
);

/** The server's verdict on one update: undefined when it stored the JWT, else why not. */
function refusal(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `an answer that is not JSON: ${body.slice(0, 200)}`;
  }
  if (!UpdateReply.Check(parsed)) return `an answer of unknown shape: ${body.slice(0, 200)}`;
  if (parsed.error) return parsed.error.description ?? `error ${String(parsed.error.code)}`;
  if (parsed.data?.code !== 200) return `an answer without success: ${body.slice(0, 200)}`;
  return undefined;
}

/**
 * Pushes account JWTs to the managed server. The system connection is opened on the first update (most
 * Homeports never revoke anyone) and kept, reconnecting, until `close`.
 *
 * @example
 *   const updates = createAccountUpdater({ natsDir, identity, url, log });
 *   await updates.setRevocations('BUS', { [memberNatsPub]: Math.floor(Date.now() / 1000) });
 */
export function createAccountUpdater(options: AccountUpdaterOptions): AccountUpdater {
  const { identity, log } = options;
  const paths = identityPaths(options.natsDir);
  const timeoutMs = options.timeoutMs ?? NATS_REQUEST_TIMEOUT_MS;
  let connection: Promise<NatsConnection> | undefined;
  let closed = false;
  // One update of an account at a time: each is signed after the one before landed, in a later second.
  const queues = new Map<NatsAccountName, Promise<unknown>>();

  const system = (): Promise<NatsConnection> => {
    connection ??= connectNats({
      servers: [options.url],
      credsFile: identity.systemCreds,
      log: log.child({ connection: 'system' }),
      connectTimeoutMs: timeoutMs,
      name: `homeport-system-${process.pid}`,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
    }).catch((error: unknown) => {
      // The next update tries again.
      connection = undefined;
      throw error;
    });
    return connection;
  };

  async function update(account: NatsAccountName, revocations: Record<string, number>): Promise<void> {
    const publicKey = identity.accounts[account].publicKey;
    const signer = identity.signers[account];
    // The resolver's copy may be newer than ours (pushed from another node): the new JWT must be newer still.
    const newest = newestAccountJwt(publicKey, [
      readIfExists(paths.accountJwt(account)),
      readIfExists(paths.resolverJwt(publicKey)),
    ]);
    const jwt = await signAccountJwt({
      name: account,
      publicKey,
      claims: accountClaims(account, [signer.signingKey.getPublicKey()]),
      revocations,
      signer: identity.operatorSigningKey,
      after: newest?.iat ?? 0,
    });
    // Written first: should the push fail, the revocations still apply from the server's next start.
    writePrivate(paths.accountJwt(account), `${jwt}\n`);
    options.onSigned?.(publicKey, jwt);

    const started = Date.now();
    let body: string;
    try {
      const nc = await system();
      const reply = await nc.request(`$SYS.REQ.ACCOUNT.${publicKey}.CLAIMS.UPDATE`, jwt, {
        timeout: Math.max(1, timeoutMs - (Date.now() - started)),
      });
      body = reply.string();
    } catch (error) {
      throw new NatsError(
        'nats_update_failed',
        `the managed nats-server did not confirm the ${account} account update within ${timeoutMs} ms (${String(error)}); it is saved in ${paths.accountJwt(account)} and applies from the server's next start`,
        { cause: error },
      );
    }
    const problem = refusal(body);
    if (problem !== undefined)
      throw new NatsError(
        'nats_update_failed',
        `the managed nats-server refused the ${account} account update: ${problem}`,
      );
    log.info(
      { account, revocations: Object.keys(revocations).length, ms: Date.now() - started },
      'account revocations updated',
    );
  }

  return {
    setRevocations(account, revocations) {
      if (closed)
        return Promise.reject(new NatsError('nats_unavailable', 'the managed nats-server is stopped'));
      // Own property only: 'SYS' or '__proto__' must not find a signer.
      if (!Object.hasOwn(identity.signers, account))
        return Promise.reject(new NatsError('nats_unknown_account', `no NATS account ${String(account)}`));
      let checked: Record<string, number>;
      try {
        checked = checkedRevocations(revocations);
      } catch (error) {
        return Promise.reject(error);
      }
      const previous = queues.get(account) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => update(account, checked));
      queues.set(account, next);
      return next;
    },
    async close() {
      closed = true;
      const pending = connection;
      connection = undefined;
      if (pending === undefined) return;
      const nc = await pending.catch(() => undefined);
      if (nc && !nc.isClosed()) await nc.close();
    },
  };
}
