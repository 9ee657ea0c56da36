// The managed nats-server against a real nats-server binary: operator-mode auth from the first start, keys
// reused, supervision (restart after kill -9, stop), per-account users, and how openNats decides.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { removeTempDirs, startNatsServer, stopAll, tempDir } from '@homeport/testkit';
import { jetstream } from '@nats-io/jetstream';
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { Kvm } from '@nats-io/kv';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import { connect, credsAuthenticator, type NatsConnection, type Status } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Config,
  ConfigError,
  createLogger,
  createMetrics,
  type Logger,
  type Metrics,
  type NatsHandle,
  natsConfigProblems,
  natsSettings,
  openNats,
} from '../src/index.js';

type OnHandle = Extract<NatsHandle, { state: 'on' }>;

const connections: NatsConnection[] = [];
afterAll(async () => {
  await Promise.all(connections.map((nc) => (nc.isClosed() ? undefined : nc.close())));
  await stopAll();
  removeTempDirs();
});

/** A logger whose JSON lines the test can read. */
function capturedLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines };
}

async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`still failing after ${timeoutMs} ms: ${String(last)}`);
}

async function metric(metrics: Metrics, name: string): Promise<number | undefined> {
  const found = await metrics.registry.getSingleMetric(name)?.get();
  return found?.values[0]?.value;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // ESRCH: no such process.
    return false;
  }
}

const serverPid = (dataDir: string): number =>
  Number(readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8').trim());

async function connectWithCreds(url: string, creds: string | Uint8Array): Promise<NatsConnection> {
  const bytes = typeof creds === 'string' ? new TextEncoder().encode(creds) : creds;
  const nc = await connect({ servers: url, authenticator: credsAuthenticator(bytes), reconnect: false });
  connections.push(nc);
  return nc;
}

describe('managed nats-server', () => {
  const dataDir = tempDir('homeport-nats-managed-');
  const { log, lines } = capturedLogger();
  const metrics = createMetrics({ collectProcess: false });
  let nats: OnHandle;
  let url: string;

  beforeAll(async () => {
    const handle = await openNats(new Config({ env: {} }), { dataDir, log, metrics });
    if (handle.state !== 'on') throw new Error(`NATS is off: ${handle.reason}`);
    nats = handle;
    url = handle.url;
  });

  it('starts on loopback and Homeport stores and reads a KV value in its own JetStream account', async () => {
    expect(nats.managed).toBe(true);
    expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const kv = await nats.kvm.create('settings');
    await kv.put('greeting', 'hello');
    expect((await kv.get('greeting'))?.string()).toBe('hello');
    expect(await metric(metrics, 'homeport_nats_up')).toBe(1);
    expect(await metric(metrics, 'homeport_nats_connected')).toBe(1);
  });

  it('refuses an anonymous connection and a user of an operator it does not trust', async () => {
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/authori[sz]ation/i);

    const operator = createOperator();
    const account = createAccount();
    const user = createUser();
    await encodeOperator('forger', operator);
    await encodeAccount('FAKE', account, {}, { signer: operator });
    const jwt = await encodeUser('intruder', user, account);
    await expect(
      connect({ servers: url, authenticator: credsAuthenticator(fmtCreds(jwt, user)), reconnect: false }),
    ).rejects.toThrow(/authori[sz]ation/i);
  });

  it("refuses a user claiming the BUS account but signed by a key that is not the account's", async () => {
    const busPublicKey = readFileSync(join(dataDir, 'nats', 'accounts', 'BUS.jwt'), 'utf8');
    const claims = JSON.parse(Buffer.from(busPublicKey.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
    };
    const forgedSigner = createAccount();
    const user = createUser();
    const jwt = await encodeUser('forged', user, claims.sub, {}, { signer: forgedSigner });
    await expect(
      connect({ servers: url, authenticator: credsAuthenticator(fmtCreds(jwt, user)), reconnect: false }),
    ).rejects.toThrow(/authori[sz]ation/i);
  });

  it('keeps keys, JWTs and creds owner-only: files 0600, folders 0700', () => {
    const natsDir = join(dataDir, 'nats');
    const modeOf = (path: string) => statSync(path).mode & 0o777;
    for (const folder of ['', 'accounts', 'users', 'jetstream', 'resolver'])
      expect([folder, modeOf(join(natsDir, folder)).toString(8)]).toEqual([folder, '700']);
    const files = [
      ...readdirSync(natsDir).filter((name) => statSync(join(natsDir, name)).isFile()),
      ...readdirSync(join(natsDir, 'accounts')).map((name) => join('accounts', name)),
      ...readdirSync(join(natsDir, 'users')).map((name) => join('users', name)),
    ].filter((name) => name !== 'nats-server.pid'); // written by nats-server itself, holds no secret
    expect(files).toEqual(
      expect.arrayContaining([
        'operator.nk',
        'operator-signing.nk',
        'operator.jwt',
        'nats-server.conf',
        join('accounts', 'HOMEPORT-signing.nk'),
        join('accounts', 'BUS.jwt'),
        join('users', 'HOMEPORT.creds'),
        join('users', 'BUS.creds'),
      ]),
    );
    for (const file of files) expect([file, modeOf(join(natsDir, file)).toString(8)]).toEqual([file, '600']);
    // Seeds never go into the server's config file.
    expect(readFileSync(join(natsDir, 'nats-server.conf'), 'utf8')).not.toMatch(/\bS[OAU][A-Z2-7]{50,}/);
  });

  it('lets an issued BUS member publish in its room and refuses it another room', async () => {
    if (!nats.accounts) throw new Error('managed NATS has accounts');
    const member = await nats.accounts.issueUser('BUS', {
      name: 'bus-member-u1',
      publish: { allow: ['bus.room.r1.>'] },
      subscribe: { allow: ['bus.room.r1.>', '_INBOX.>'] },
    });
    const service = await connectWithCreds(url, readFileSync(nats.accounts.serviceCreds('BUS')));
    const seen: string[] = [];
    const sub = service.subscribe('bus.room.>', {
      callback: (_error, msg) => {
        seen.push(msg.subject);
      },
    });
    await service.flush();

    const memberNc = await connectWithCreds(url, member.creds);
    const errors: Error[] = [];
    void (async () => {
      for await (const status of memberNc.status() as AsyncIterable<Status>)
        if (status.type === 'error') errors.push(status.error);
    })();
    memberNc.publish('bus.room.r2.x', 'not allowed');
    memberNc.publish('bus.room.r1.hello', 'allowed');
    await memberNc.flush();
    // Messages of one publisher arrive in order: once r1.hello is in, r2.x would have been before it.
    await eventually(async () => {
      if (!seen.includes('bus.room.r1.hello')) throw new Error('not yet');
    });
    expect(seen).toEqual(['bus.room.r1.hello']);
    await eventually(async () => {
      if (!errors.some((error) => /permissions violation/i.test(error.message)))
        throw new Error('no error yet');
    });
    sub.unsubscribe();
  });

  it("keeps accounts apart: BUS's service user does not see HOMEPORT's buckets", async () => {
    if (!nats.accounts) throw new Error('managed NATS has accounts');
    const bus = await connectWithCreds(url, readFileSync(nats.accounts.serviceCreds('BUS')));
    const names: string[] = [];
    for await (const status of new Kvm(jetstream(bus)).list()) names.push(status.bucket);
    expect(names).not.toContain('settings');
  });

  it('writes nats-server log lines into Homeport log with their level', () => {
    const serverLines = lines().filter((line) => line.component === 'nats-server');
    expect(serverLines).toContainEqual(expect.objectContaining({ level: 30, msg: 'Server is ready' }));
    expect(
      serverLines.some((line) => line.level === 30 && String(line.msg).startsWith('Starting nats-server')),
    ).toBe(true);
  });

  it('is reachable as an external server with a creds file (what a second replica would do)', async () => {
    if (!nats.accounts) throw new Error('managed NATS has accounts');
    const env = { HOMEPORT_NATS_URL: url, HOMEPORT_NATS_CREDS: nats.accounts.serviceCreds('HOMEPORT') };
    const replica = await openNats(new Config({ env }), { dataDir: tempDir('homeport-nats-replica-'), log });
    if (replica.state !== 'on') throw new Error(replica.reason);
    try {
      expect(replica.managed).toBe(false);
      expect((await (await replica.kvm.open('settings')).get('greeting'))?.string()).toBe('hello');
    } finally {
      await replica.close();
    }
  });

  it('restarts the server after kill -9; the connection comes back and writes work again', async () => {
    const kv = await nats.kvm.open('settings');
    const before = serverPid(dataDir);
    process.kill(before, 'SIGKILL');
    const after = await eventually(async () => {
      const pid = serverPid(dataDir);
      if (pid === before || !alive(pid)) throw new Error('not restarted yet');
      return pid;
    });
    expect(after).not.toBe(before);
    await eventually(() => kv.put('after-restart', 'yes'));
    expect((await kv.get('greeting'))?.string()).toBe('hello');
    expect(await metric(metrics, 'homeport_nats_restarts_total')).toBe(1);
    await eventually(async () => {
      if ((await metric(metrics, 'homeport_nats_up')) !== 1) throw new Error('not up');
      if ((await metric(metrics, 'homeport_nats_connected')) !== 1) throw new Error('not connected');
    });
    expect(lines()).toContainEqual(expect.objectContaining({ component: 'nats', msg: 'NATS reconnected' }));
  });

  it('stops the server on close, then a second start reuses the keys and reads what was written', async () => {
    const natsDir = join(dataDir, 'nats');
    const keyFiles = [
      'operator.jwt',
      'operator-signing.nk',
      join('accounts', 'HOMEPORT.jwt'),
      join('users', 'HOMEPORT.creds'),
    ];
    const keysBefore = keyFiles.map((file) => readFileSync(join(natsDir, file), 'utf8'));
    const pid = serverPid(dataDir);
    await nats.close();
    expect(alive(pid)).toBe(false);
    expect(await metric(metrics, 'homeport_nats_up')).toBe(0);

    const again = await openNats(new Config({ env: {} }), { dataDir, log, metrics });
    if (again.state !== 'on') throw new Error(again.reason);
    try {
      expect(keyFiles.map((file) => readFileSync(join(natsDir, file), 'utf8'))).toEqual(keysBefore);
      const kv = await again.kvm.open('settings');
      expect((await kv.get('greeting'))?.string()).toBe('hello');
      expect((await kv.get('after-restart'))?.string()).toBe('yes');
    } finally {
      await again.close();
    }
  });
});

describe('openNats decides where NATS is', () => {
  const { log } = capturedLogger();
  const options = () => ({ dataDir: tempDir('homeport-nats-open-'), log });

  it('is off, with one line saying how to enable it, when there is no URL and no binary', async () => {
    const handle = await openNats(
      new Config({ env: { HOMEPORT_NATS_SERVER_BIN: '/nonexistent/nats-server' } }),
      options(),
    );
    expect(handle.state).toBe('off');
    if (handle.state !== 'off') return;
    expect(handle.reason).not.toContain('\n');
    expect(handle.reason).toContain('/nonexistent/nats-server');
    expect(handle.reason).toContain('apt-get install nats-server');
    expect(handle.reason).toContain('HOMEPORT_NATS_URL');
  });

  it('is off when managed NATS is turned off and no URL is set', async () => {
    const handle = await openNats(new Config({ env: { HOMEPORT_NATS_MANAGED: 'off' } }), options());
    expect(handle).toMatchObject({
      state: 'off',
      reason: expect.stringContaining('HOMEPORT_NATS_MANAGED=off'),
    });
  });

  it('refuses a plaintext URL to a non-loopback host with a config error', async () => {
    const open = openNats(new Config({ env: { HOMEPORT_NATS_URL: 'nats://10.20.30.40:4222' } }), options());
    await expect(open).rejects.toBeInstanceOf(ConfigError);
    await expect(open).rejects.toThrow(/refusing plaintext NATS to a non-loopback host/);
    const config = (env: Record<string, string>) => new Config({ env }).read(natsSettings);
    expect(natsConfigProblems(config({ HOMEPORT_NATS_URL: '127.0.0.1:4222,nats://[::1]:4223' }))).toEqual([]);
    expect(natsConfigProblems(config({ HOMEPORT_NATS_URL: 'tls://nats.example.org:4222' }))).toEqual([]);
    expect(
      natsConfigProblems(
        config({ HOMEPORT_NATS_URL: 'nats://nats.example.org:4222', HOMEPORT_NATS_CA: '/ca.pem' }),
      ),
    ).toEqual([]);
    expect(
      natsConfigProblems(config({ HOMEPORT_NATS_URL: 'localhost:4222,nats://nats.example.org' })),
    ).toHaveLength(1);
    expect(() => config({ HOMEPORT_NATS_URL: 'http://nats.example.org' })).toThrow(ConfigError);
    expect(() => config({ HOMEPORT_NATS_URL: 'nats://me:secret@127.0.0.1' })).toThrow(/HOMEPORT_NATS_CREDS/);
  });

  it('refuses a creds or CA file it cannot read before trying to connect', async () => {
    const open = openNats(
      new Config({
        env: { HOMEPORT_NATS_URL: 'nats://127.0.0.1:4222', HOMEPORT_NATS_CREDS: '/nonexistent/x.creds' },
      }),
      options(),
    );
    await expect(open).rejects.toBeInstanceOf(ConfigError);
    await expect(open).rejects.toThrow(
      /HOMEPORT_NATS_CREDS \/nonexistent\/x\.creds: cannot be read \(ENOENT\)/,
    );
  });

  it('connects to an external loopback server when HOMEPORT_NATS_URL is set, without starting one', async () => {
    const server = await startNatsServer();
    const dataDir = tempDir('homeport-nats-external-');
    const handle = await openNats(new Config({ env: { HOMEPORT_NATS_URL: server.url } }), { dataDir, log });
    if (handle.state !== 'on') throw new Error(handle.reason);
    try {
      expect(handle.managed).toBe(false);
      expect(handle.accounts).toBeUndefined();
      const kv = await handle.kvm.create('external');
      await kv.put('k', 'v');
      expect((await kv.get('k'))?.string()).toBe('v');
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      await handle.close();
      await server.stop();
    }
  });
});
