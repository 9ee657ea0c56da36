// Revoking NATS users at runtime on the managed nats-server: JWTs for client-made keys, the system-account
// service user, a revocation closing a live connection at once and holding across a restart, two updates in
// one second, expiry, and the identity keeping revocations when the layout makes it sign an account JWT again.

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, stopAll, tempDir } from '@homeport/testkit';
import { decode, encodeAccount, parseCreds } from '@nats-io/jwt';
import { createAccount, createUser, fromSeed, type KeyPair } from '@nats-io/nkeys';
import {
  connect,
  credsAuthenticator,
  jwtAuthenticator,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManagedNats, type NatsAccountName, NatsError, startManagedNats } from '../src/index.js';
import { readAccountJwt, signAccountJwt } from '../src/nats/account-jwt.js';
import { loadOrCreateIdentity } from '../src/nats/identity.js';
import { accountClaims } from '../src/nats/layout.js';

const log = pino({ level: 'silent' });
const connections: NatsConnection[] = [];
const servers: ManagedNats[] = [];
afterAll(async () => {
  await Promise.all(connections.map((nc) => (nc.isClosed() ? undefined : nc.close())));
  await Promise.all(servers.map((server) => server.stop()));
  await stopAll();
  removeTempDirs();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A bus member as the browser would be: its own key pair, a JWT issued for the public key, its inbox. */
interface Member {
  key: KeyPair;
  publicKey: string;
  jwt: string;
  inbox: string;
}

async function issueMember(nats: ManagedNats, id: string, expiresAt?: Date): Promise<Member> {
  const key = createUser();
  const inbox = `_INBOX.${id}`;
  const issued = await nats.issueUser('BUS', {
    name: `bus-member-${id}`,
    publicKey: key.getPublicKey(),
    publish: { allow: ['bus.room.r1.>'] },
    subscribe: { allow: ['bus.room.r1.>', `${inbox}.>`] },
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  return { key, publicKey: issued.publicKey, jwt: issued.jwt, inbox };
}

/** A member's connection and what it went through: statuses seen and when the server closed it. */
interface Watched {
  nc: NatsConnection;
  statuses: Status[];
  /** performance.now() when the connection closed. */
  closedAt: Promise<number>;
}

async function connectMember(url: string, member: Member): Promise<Watched> {
  const nc = await connect({
    servers: url,
    authenticator: jwtAuthenticator(member.jwt, member.key.getSeed()),
    inboxPrefix: member.inbox,
    reconnect: false,
  });
  connections.push(nc);
  const statuses: Status[] = [];
  void (async () => {
    for await (const status of nc.status()) statuses.push(status);
  })();
  const closedAt = nc.closed().then(() => performance.now());
  return { nc, statuses, closedAt };
}

/** Resolves with the connection's close time, or fails once `timeoutMs` passed without the server closing it. */
async function closedWithin(watched: Watched, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([watched.closedAt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const refusedPattern = /authori[sz]ation|revoked/i;

describe('revoking users of the managed nats-server at runtime', () => {
  const dataDir = tempDir('homeport-nats-revocation-');
  let nats: ManagedNats;
  /** The BUS revocation list as the bus would keep it: every update passes all of it. */
  const revoked: Record<string, number> = {};
  let revokedMember: Member;
  let laterMember: Member;

  const start = async () => {
    const server = await startManagedNats({ dataDir, log, initialBackoffMs: 200, stopTimeoutMs: 5000 });
    servers.push(server);
    return server;
  };

  beforeAll(async () => {
    nats = await start();
  }, 30_000);

  it('issues a JWT for a key the client made, with no seed or creds in the result, and refuses other keys', async () => {
    const key = createUser();
    const issued = await nats.issueUser('BUS', { name: 'bus-member-k', publicKey: key.getPublicKey() });
    expect(Object.keys(issued).sort()).toEqual(['jwt', 'publicKey']);
    expect(issued.publicKey).toBe(key.getPublicKey());
    expect(decode(issued.jwt).sub).toBe(key.getPublicKey());
    // @ts-expect-error: a JWT issued for the client's key comes without a seed, and the type says so.
    expect(issued.seed).toBeUndefined();
    // Without a key, a fresh pair is made and its seed returned, as before.
    const fresh = await nats.issueUser('BUS', { name: 'bus-member-fresh' });
    expect(fresh.seed).toMatch(/^SU/);
    expect(fresh.creds).toContain(fresh.jwt);

    const userKey = key.getPublicKey();
    const lastChar = userKey.at(-1) === 'A' ? 'B' : 'A';
    const refused = [
      createAccount().getPublicKey(), // an account key
      new TextDecoder().decode(key.getSeed()), // the seed itself
      `${userKey.slice(0, -1)}${lastChar}`, // a user key with a bad checksum
      'UABC',
      '',
    ];
    for (const publicKey of refused) {
      const attempt = nats.issueUser('BUS', { name: 'bad', publicKey });
      await expect(attempt).rejects.toBeInstanceOf(NatsError);
      await expect(attempt).rejects.toMatchObject({ code: 'nats_invalid_user_key' });
    }
    // The seed is never echoed in the message.
    await expect(
      nats.issueUser('BUS', { name: 'bad', publicKey: new TextDecoder().decode(key.getSeed()) }),
    ).rejects.toThrow(/seed, which must stay with the client/);
  });

  it('keeps a SYS service user in users/SYS.creds (0600) that only pushes and looks up account JWTs, and never issues SYS users', async () => {
    const file = join(dataDir, 'nats', 'users', 'SYS.creds');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const creds = await parseCreds(readFileSync(file));
    const system = decode(readFileSync(join(dataDir, 'nats', 'accounts', 'SYS.jwt'), 'utf8').trim()).sub;
    expect(creds.uc.nats.issuer_account).toBe(system);
    expect(creds.uc.nats.pub?.allow).toEqual([
      '$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE',
      '$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP',
    ]);
    await expect(nats.issueUser('SYS' as NatsAccountName, { name: 'x' })).rejects.toMatchObject({
      code: 'nats_unknown_account',
    });
    await expect(nats.setRevocations('SYS' as NatsAccountName, {})).rejects.toMatchObject({
      code: 'nats_unknown_account',
    });
    // It may not ask the servers about themselves: the permission is refused.
    const nc = await connect({ servers: nats.url, authenticator: credsAuthenticator(readFileSync(file)) });
    connections.push(nc);
    await expect(nc.request('$SYS.REQ.SERVER.PING', '', { timeout: 2000 })).rejects.toThrow(/permission/i);
    await nc.close();
  });

  it('refuses revocation lists that name no user key or no time in seconds', async () => {
    const user = createUser().getPublicKey();
    const bad: Record<string, number>[] = [
      { '*': nowSeconds() },
      { [createAccount().getPublicKey()]: nowSeconds() },
      { [user]: Date.now() }, // milliseconds
      { [user]: -1 },
      { [user]: 1.5 },
    ];
    for (const revocations of bad)
      await expect(nats.setRevocations('BUS', revocations)).rejects.toMatchObject({
        code: 'nats_invalid_revocation',
      });
  });

  it('closes a live member connection as soon as its key is revoked, and refuses the same JWT after', async () => {
    revokedMember = await issueMember(nats, 'm1');
    const member = await connectMember(nats.url, revokedMember);
    const seen: string[] = [];
    member.nc.subscribe('bus.room.r1.>', {
      callback: (_error, msg) => {
        seen.push(msg.string());
      },
    });
    await member.nc.flush();
    // The member is live: it hears its room, and a request gets its answer on the member's own inbox.
    const service = await connect({
      servers: nats.url,
      authenticator: credsAuthenticator(readFileSync(nats.serviceCreds('BUS'))),
    });
    connections.push(service);
    service.subscribe('bus.room.r1.echo', {
      callback: (_error, msg) => {
        msg.respond(msg.data);
      },
    });
    await service.flush();
    expect((await member.nc.request('bus.room.r1.echo', 'ping', { timeout: 2000 })).string()).toBe('ping');
    await until('the member to hear its room', () => {
      service.publish('bus.room.r1.news', 'hello');
      return seen.includes('hello');
    });

    // Measured from a second later than the BUS JWT signed at start: an update in that same second first waits
    // for the next one (the back-to-back test below shows that wait).
    const signedAt = readAccountJwt(readFileSync(join(dataDir, 'nats', 'accounts', 'BUS.jwt'), 'utf8'))?.iat;
    await until('a second after the BUS JWT was signed', () => nowSeconds() > (signedAt ?? 0), 3000);
    revoked[revokedMember.publicKey] = nowSeconds();
    const started = performance.now();
    await nats.setRevocations('BUS', revoked);
    const confirmedMs = performance.now() - started;
    const closedMs = (await closedWithin(member, 5000)) - started;
    console.error(
      `[nats-revocation] revocation → disconnect: ${closedMs.toFixed(1)} ms (server confirmed the update after ${confirmedMs.toFixed(1)} ms)`,
    );
    expect(closedMs).toBeLessThan(2000);
    expect(member.statuses.some((status) => status.type === 'disconnect' || status.type === 'error')).toBe(
      true,
    );
    await expect(connectMember(nats.url, revokedMember)).rejects.toThrow(refusedPattern);
    // Written where the next start preloads it.
    const stored = readAccountJwt(readFileSync(join(dataDir, 'nats', 'accounts', 'BUS.jwt'), 'utf8'));
    expect(stored?.revocations).toEqual(revoked);
  });

  it('lets a user issued after the revocation with another key connect', async () => {
    laterMember = await issueMember(nats, 'm2');
    const later = await connectMember(nats.url, laterMember);
    await later.nc.flush();
    expect(later.nc.isClosed()).toBe(false);
    await later.nc.close();
  });

  it('applies two revocations pushed within one second, each in a later second than the one before', async () => {
    const [a, b] = await Promise.all([issueMember(nats, 'm3'), issueMember(nats, 'm4')]);
    const [onA, onB] = await Promise.all([connectMember(nats.url, a), connectMember(nats.url, b)]);
    const at = nowSeconds();
    const started = performance.now();
    // Back to back, without waiting for the first: the second must not be lost, nor land before the first.
    const first = nats.setRevocations('BUS', { ...revoked, [a.publicKey]: at });
    const second = nats.setRevocations('BUS', { ...revoked, [a.publicKey]: at, [b.publicKey]: at });
    await first;
    const firstMs = performance.now() - started;
    await second;
    const secondMs = performance.now() - started;
    revoked[a.publicKey] = at;
    revoked[b.publicKey] = at;
    const [closedA, closedB] = await Promise.all([closedWithin(onA, 5000), closedWithin(onB, 5000)]);
    console.error(
      `[nats-revocation] two updates back to back: first confirmed after ${firstMs.toFixed(1)} ms, second after ${secondMs.toFixed(1)} ms (it waits for the next second); disconnects after ${(closedA - started).toFixed(1)} and ${(closedB - started).toFixed(1)} ms`,
    );
    await expect(connectMember(nats.url, a)).rejects.toThrow(refusedPattern);
    await expect(connectMember(nats.url, b)).rejects.toThrow(refusedPattern);
    const stored = readAccountJwt(readFileSync(join(dataDir, 'nats', 'accounts', 'BUS.jwt'), 'utf8'));
    expect(stored?.revocations).toEqual(revoked);
  });

  it('relies on what 2.9.10 does with a pushed JWT: stored whatever its iat, equal or older', async () => {
    const natsDir = join(dataDir, 'nats');
    const bus = decode(readFileSync(join(natsDir, 'accounts', 'BUS.jwt'), 'utf8').trim()).sub;
    const signer = fromSeed(
      new TextEncoder().encode(readFileSync(join(natsDir, 'operator-signing.nk'), 'utf8').trim()),
    );
    const busSigning = readFileSync(join(natsDir, 'accounts', 'BUS-signing.nk'), 'utf8').trim();
    const claims = accountClaims('BUS', [fromSeed(new TextEncoder().encode(busSigning)).getPublicKey()]);
    const sign = (description: string) => encodeAccount('BUS', bus, { ...claims, description }, { signer });
    const system = await connect({
      servers: nats.url,
      authenticator: credsAuthenticator(readFileSync(join(natsDir, 'users', 'SYS.creds'))),
    });
    connections.push(system);
    const push = async (jwt: string) =>
      (await system.request(`$SYS.REQ.ACCOUNT.${bus}.CLAIMS.UPDATE`, jwt, { timeout: 5000 })).json<{
        data?: { code?: number };
      }>();
    const stored = async () =>
      (await system.request(`$SYS.REQ.ACCOUNT.${bus}.CLAIMS.LOOKUP`, '', { timeout: 5000 })).string();

    let first: string;
    let second: string;
    do {
      first = await sign('first');
      second = await sign('second');
    } while (decode(first).iat !== decode(second).iat);
    expect((await push(first)).data?.code).toBe(200);
    expect((await push(second)).data?.code).toBe(200);
    expect(await stored()).toBe(second); // equal iat: the later push wins
    await until('a later second', () => nowSeconds() > decode(second).iat);
    const third = await sign('third');
    expect((await push(third)).data?.code).toBe(200);
    expect((await push(first)).data?.code).toBe(200);
    expect(await stored()).toBe(first); // older iat: stored all the same
    // Homeport's next update is signed in a later second than what the resolver holds, and puts the list back.
    await nats.setRevocations('BUS', revoked);
    const ours = readFileSync(join(natsDir, 'accounts', 'BUS.jwt'), 'utf8').trim();
    expect(decode(ours).iat).toBeGreaterThan(decode(first).iat);
    expect(await stored()).toBe(ours);
    await system.close();
    await expect(connectMember(nats.url, revokedMember)).rejects.toThrow(refusedPattern);
  });

  it('disconnects a user when its 2 s JWT expires', async () => {
    const issuedAt = performance.now();
    const member = await issueMember(nats, 'm5', new Date(Date.now() + 2000));
    const watched = await connectMember(nats.url, member);
    const closedMs = (await closedWithin(watched, 5000)) - issuedAt;
    console.error(`[nats-revocation] 2 s JWT: disconnected ${closedMs.toFixed(0)} ms after it was issued`);
    // `exp` is whole seconds, and 2.9.10 arms a timer of (exp − the current whole second) at connect: the
    // server closes the connection 1 to 2 s after it opened.
    expect(closedMs).toBeGreaterThan(900);
    expect(closedMs).toBeLessThan(3500);
    // Within the second `exp` names the JWT still counts (2.9.10 compares whole seconds; a connection made then
    // is closed at once); from the next second on it is refused.
    const expiresAt = decode(member.jwt).exp ?? 0;
    await until('the second after expiry', () => nowSeconds() > expiresAt, 3000);
    await expect(connectMember(nats.url, member)).rejects.toThrow(/authori[sz]ation|expired/i);
  });

  it('keeps refusing a revoked JWT after the supervisor restarts a killed server (its config preloads the newest JWT)', async () => {
    const natsDir = join(dataDir, 'nats');
    const busJwt = readFileSync(join(natsDir, 'accounts', 'BUS.jwt'), 'utf8').trim();
    expect(readFileSync(join(natsDir, 'nats-server.conf'), 'utf8')).toContain(busJwt);
    const before = nats.pid;
    if (before === undefined) throw new Error('the server is not running');
    process.kill(before, 'SIGKILL');
    await until('the supervisor to restart the server', () => nats.pid !== undefined && nats.pid !== before);
    await until('the restarted server to take connections', async () => {
      const later = await connectMember(nats.url, laterMember).catch(() => undefined);
      await later?.nc.close();
      return later !== undefined;
    });
    await expect(connectMember(nats.url, revokedMember)).rejects.toThrow(refusedPattern);
  });

  it('still refuses the revoked JWTs after the managed server is stopped and started again, without signing the JWT again', async () => {
    const natsDir = join(dataDir, 'nats');
    const files = [join('accounts', 'BUS.jwt'), join('users', 'SYS.creds'), join('users', 'BUS.creds')];
    const before = files.map((file) => readFileSync(join(natsDir, file), 'utf8'));
    await nats.stop();
    await expect(nats.setRevocations('BUS', revoked)).rejects.toMatchObject({ code: 'nats_unavailable' });
    nats = await start();
    expect(files.map((file) => readFileSync(join(natsDir, file), 'utf8'))).toEqual(before);
    await expect(connectMember(nats.url, revokedMember)).rejects.toThrow(refusedPattern);
    const later = await connectMember(nats.url, laterMember);
    await later.nc.flush();
    await later.nc.close();
    // And the restarted server takes a new update over a new system connection.
    const next = await issueMember(nats, 'm6');
    const watched = await connectMember(nats.url, next);
    revoked[next.publicKey] = nowSeconds();
    await nats.setRevocations('BUS', revoked);
    await closedWithin(watched, 5000);
  });
});

describe('the identity keeps revocations when it signs an account JWT again', () => {
  const operatorSigningKey = (natsDir: string): KeyPair =>
    fromSeed(new TextEncoder().encode(readFileSync(join(natsDir, 'operator-signing.nk'), 'utf8').trim()));

  it('signs a changed layout with the revocations of the newest stored JWT, in a later second; an unchanged one is left alone', async () => {
    const natsDir = join(tempDir('homeport-nats-identity-'), 'nats');
    const first = await loadOrCreateIdentity(natsDir);
    const bus = first.accounts.BUS.publicKey;
    const busFile = join(natsDir, 'accounts', 'BUS.jwt');
    const signingKeys = [first.signers.BUS.signingKey.getPublicKey()];
    const signer = operatorSigningKey(natsDir);
    const user = createUser().getPublicKey();
    const other = createUser().getPublicKey();

    // Nothing changed: not signed again (its revocations are no change either).
    const withRevocations = await signAccountJwt({
      name: 'BUS',
      publicKey: bus,
      claims: accountClaims('BUS', signingKeys),
      revocations: { [user]: 1_700_000_000 },
      signer,
      after: readAccountJwt(readFileSync(busFile, 'utf8'))?.iat ?? 0,
    });
    writeFileSync(busFile, `${withRevocations}\n`);
    await loadOrCreateIdentity(natsDir);
    expect(readFileSync(busFile, 'utf8').trim()).toBe(withRevocations);

    // An older layout (another description) with revocations: signed again, keeping them.
    const oldLayout = await encodeAccount(
      'BUS',
      bus,
      { ...accountClaims('BUS', signingKeys), description: 'an older layout', revocations: { [user]: 1 } },
      { signer },
    );
    writeFileSync(busFile, `${oldLayout}\n`);
    // The resolver holds a newer JWT of the account (pushed from another node) with one more revocation.
    const newerInResolver = await signAccountJwt({
      name: 'BUS',
      publicKey: bus,
      claims: { ...accountClaims('BUS', signingKeys), description: 'an older layout' },
      revocations: { [user]: 1, [other]: 2 },
      signer,
      after: readAccountJwt(oldLayout)?.iat ?? 0,
    });
    mkdirSync(join(natsDir, 'resolver'), { recursive: true });
    writeFileSync(join(natsDir, 'resolver', `${bus}.jwt`), newerInResolver);
    const again = await loadOrCreateIdentity(natsDir);
    const resigned = readAccountJwt(readFileSync(busFile, 'utf8'));
    expect(again.accountJwts[bus]).toBe(resigned?.jwt);
    expect(resigned?.revocations).toEqual({ [user]: 1, [other]: 2 });
    expect(resigned?.iat).toBeGreaterThan(readAccountJwt(newerInResolver)?.iat ?? Number.POSITIVE_INFINITY);
    expect(decode<{ description?: string }>(resigned?.jwt ?? '').nats.description).toBe(
      accountClaims('BUS', signingKeys).description,
    );
  });
});
