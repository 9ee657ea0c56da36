// The member listener (HOMEPORT_BUS_LISTEN) on a real managed nats-server: members get a tls:// server and the
// generated bus CA in their credential and talk through it; a cleartext client and a client pinning another CA
// are refused; the CA and certificate survive a restart; an operator's certificate works; the SDK refuses
// cleartext NATS off loopback.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { freePort, removeTempDirs, requireCommand, tempDir, until } from '@homeport/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { natsTlsFor } from '../src/client/bus-client.js';
import { BusClient, type BusMessage } from '../src/client/index.js';
import { generateIdentity, signPubHex } from '../src/crypto/index.js';
import { type BusHomeport, startBusHomeport } from './support/bus-homeport.js';

const OPENSSL = requireCommand('openssl', 'openssl');

const running: BusHomeport[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.close();
});
afterAll(() => removeTempDirs());

async function start(env: Record<string, string>, dataDir = tempDir('homeport-bus-listener-')) {
  const h = await startBusHomeport(env, dataDir);
  running.push(h);
  return { h, dataDir };
}

/** A CA and a server certificate for 127.0.0.1 made by openssl; `chain` is leaf then CA. */
function opensslCertificates(dir: string) {
  const run = (args: string[]) => execFileSync(OPENSSL, args, { cwd: dir, stdio: 'pipe' });
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=Operator test CA',
    '-days',
    '30',
    '-out',
    'ca.pem',
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key']);
  run(['req', '-new', '-key', 'server.key', '-subj', '/CN=bus.test', '-out', 'server.csr']);
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:bus.test\nextendedKeyUsage=serverAuth\n',
  );
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  ]);
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'server.pem'), 'utf8') + ca);
  return { ca, chainFile: join(dir, 'chain.pem'), keyFile: join(dir, 'server.key') };
}

/** Two members in a room exchanging one message through the member listener. */
async function exchange(h: BusHomeport, options: { natsCa?: string } = {}) {
  const alice = await h.seed('member', 'alice');
  const bob = await h.seed('member', 'bob');
  const client = (identity: typeof alice) => {
    const made = BusClient.create({ controlUrls: [h.url], identity, ...options });
    return made;
  };
  const aliceClient = client(alice);
  const bobClient = client(bob);
  try {
    const room = await aliceClient.createRoom({ name: 'over-tls', policy: { persisted: false } });
    await aliceClient.invite(room.id, signPubHex(bob));
    const got: BusMessage[] = [];
    await bobClient.subscribe(room.id, (message) => {
      got.push(message);
    });
    await aliceClient.publish(room.id, 'through the member listener');
    await until(() => got.length === 1);
    const nc = await bobClient.connect();
    return { text: new TextDecoder().decode(got[0]?.payload), server: nc.getServer(), info: nc.info };
  } finally {
    await aliceClient.close();
    await bobClient.close();
  }
}

/** What the listener says first to a raw TCP client, and whether it answers a cleartext PING. */
function cleartextAttempt(port: number): Promise<{ info: string; answered: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.includes('\r\n') && !text.includes('CONNECT-SENT')) {
        text += 'CONNECT-SENT';
        socket.write('CONNECT {"verbose":false}\r\nPING\r\n');
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ info: text.split('\r\n')[0] ?? '', answered: /PONG/.test(text) }));
    socket.setTimeout(8000, () => {
      socket.destroy();
      reject(new Error('the listener neither answered nor closed'));
    });
  });
}

describe('member listener with the generated bus CA', () => {
  it('hands members a tls:// server and the CA, and carries their encrypted messages', async () => {
    const port = await freePort();
    const { h, dataDir } = await start({ HOMEPORT_BUS_LISTEN: `127.0.0.1:${port}` });

    const identity = await h.seed('member', 'carol');
    const { createUser } = await import('@nats-io/nkeys');
    const credential = await h.call(identity, 'POST', '/credentials', {
      natsPub: createUser().getPublicKey(),
    });
    expect(credential.status).toBe(200);
    expect(credential.json.servers).toEqual([`tls://127.0.0.1:${port}`]);
    const ca = new X509Certificate(credential.json.ca);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toMatch(/Homeport bus CA/);
    // The CA given to members is the one that signed the listener's certificate, kept 0600 with its key.
    const tlsDir = join(dataDir, 'nats', 'tls');
    const listenerCert = new X509Certificate(readFileSync(join(tlsDir, 'listener.pem')));
    expect(listenerCert.checkIssued(ca) && listenerCert.verify(ca.publicKey)).toBe(true);
    expect(listenerCert.subjectAltName).toContain('IP Address:127.0.0.1');
    for (const file of ['bus-ca.key', 'listener.key'])
      expect(statSync(join(tlsDir, file)).mode & 0o777).toBe(0o600);

    const status = await h.call(identity, 'GET', '/status');
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ busTls: true, busListen: `127.0.0.1:${port}` });

    const result = await exchange(h);
    expect(result.text).toBe('through the member listener');
    expect(result.server).toBe(`127.0.0.1:${port}`);
    expect(result.info?.tls_required).toBe(true);
  }, 60_000);

  it('listens on IPv6 loopback too ([::1]:port)', async () => {
    const port = await freePort();
    const { h } = await start({ HOMEPORT_BUS_LISTEN: `[::1]:${port}` });
    const identity = await h.seed('member', 'erin');
    const { createUser } = await import('@nats-io/nkeys');
    const credential = await h.call(identity, 'POST', '/credentials', {
      natsPub: createUser().getPublicKey(),
    });
    expect(credential.json.servers).toEqual([`tls://[::1]:${port}`]);
    const result = await exchange(h);
    expect(result.text).toBe('through the member listener');
    expect(result.server).toBe(`[::1]:${port}`);
  }, 60_000);

  it('refuses a cleartext client and a client pinning another CA', async () => {
    const port = await freePort();
    const { h } = await start({ HOMEPORT_BUS_LISTEN: `127.0.0.1:${port}` });

    const attempt = await cleartextAttempt(port);
    expect(attempt.info).toMatch(/^INFO .*"tls_required":true/);
    expect(attempt.answered).toBe(false);

    const other = opensslCertificates(tempDir('homeport-bus-other-ca-'));
    const member = await h.seed('member', 'mallory');
    const pinnedElsewhere = BusClient.create({ controlUrls: [h.url], identity: member, natsCa: other.ca });
    try {
      await expect(pinnedElsewhere.connect()).rejects.toThrow(/certificate/i);
    } finally {
      await pinnedElsewhere.close();
    }
  }, 60_000);

  it('keeps the CA and the certificate across a restart, so a pinned CA still works', async () => {
    const port = await freePort();
    const env = { HOMEPORT_BUS_LISTEN: `127.0.0.1:${port}` };
    const first = await start(env);
    const tlsDir = join(first.dataDir, 'nats', 'tls');
    const caBefore = readFileSync(join(tlsDir, 'bus-ca.pem'), 'utf8');
    const certBefore = readFileSync(join(tlsDir, 'listener.pem'), 'utf8');
    await first.h.close();
    running.splice(running.indexOf(first.h), 1);

    const second = await start(env, first.dataDir);
    expect(readFileSync(join(tlsDir, 'bus-ca.pem'), 'utf8')).toBe(caBefore);
    expect(readFileSync(join(tlsDir, 'listener.pem'), 'utf8')).toBe(certBefore);
    const result = await exchange(second.h, { natsCa: caBefore });
    expect(result.text).toBe('through the member listener');
  }, 90_000);
});

describe('member listener with the operator certificate', () => {
  it('serves the given certificate and hands members the root its chain ends in', async () => {
    const port = await freePort();
    const operator = opensslCertificates(tempDir('homeport-bus-operator-'));
    const { h, dataDir } = await start({
      HOMEPORT_BUS_LISTEN: `127.0.0.1:${port}`,
      HOMEPORT_BUS_TLS_CERT: operator.chainFile,
      HOMEPORT_BUS_TLS_KEY: operator.keyFile,
    });
    const { createUser } = await import('@nats-io/nkeys');
    const member = await h.seed('member', 'dave');
    const credential = await h.call(member, 'POST', '/credentials', { natsPub: createUser().getPublicKey() });
    expect(credential.status).toBe(200);
    expect(credential.json.servers).toEqual([`tls://127.0.0.1:${port}`]);
    expect(credential.json.ca?.trim()).toBe(operator.ca.trim());
    // Nothing generated when the operator gives the certificate.
    expect(() => statSync(join(dataDir, 'nats', 'tls', 'bus-ca.pem'))).toThrow();

    const result = await exchange(h);
    expect(result.text).toBe('through the member listener');
  }, 60_000);

  it('leaves nothing listening when the boot guard refuses the start (the listener always has TLS: H2)', async () => {
    const port = await freePort();
    const dataDir = tempDir('homeport-bus-refused-');
    await expect(
      startBusHomeport({ HOMEPORT_BUS_LISTEN: `127.0.0.1:${port}`, HOMEPORT_BUS_AUTH: 'off' }, dataDir),
    ).rejects.toThrow(/HOMEPORT_BUS_AUTH=off/);
    // The managed server had started (NATS opens before modules): it must be stopped, not left running.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    const pid = readFileSync(join(dataDir, 'nats', 'nats-server.pid'), 'utf8').trim();
    expect(() => process.kill(Number(pid), 0)).toThrow();
  }, 60_000);

  it('refuses to start with a certificate and no key', async () => {
    const operator = opensslCertificates(tempDir('homeport-bus-operator-'));
    await expect(
      startBusHomeport({
        HOMEPORT_BUS_LISTEN: `127.0.0.1:${await freePort()}`,
        HOMEPORT_BUS_TLS_CERT: operator.chainFile,
      }),
    ).rejects.toThrow(/HOMEPORT_BUS_TLS_CERT and HOMEPORT_BUS_TLS_KEY go together/);
  });
});

describe('the SDK and cleartext NATS', () => {
  const none = {};
  it('refuses nats:// to a host off loopback', () => {
    expect(() => natsTlsFor(['nats://192.168.1.5:4222'], none, none)).toThrow(/only on loopback/);
    expect(() => natsTlsFor(['192.168.1.5:4222'], none, none)).toThrow(/only on loopback/);
    expect(() => natsTlsFor(['tls://10.0.0.1:4250', 'nats://10.0.0.2:4222'], none, none)).toThrow();
    expect(() => natsTlsFor(['ws://10.0.0.1:80'], none, none)).toThrow(/tls:\/\//);
  });

  it('needs no TLS on loopback, requires it for tls:// and pins the CAs it was given', () => {
    expect(natsTlsFor(['nats://127.0.0.1:4222', 'nats://[::1]:4222'], none, none)).toBeUndefined();
    // A CA given for the control plane does not force TLS on a cleartext loopback port.
    expect(natsTlsFor(['nats://127.0.0.1:4222'], { ca: 'CONTROL-CA' }, { ca: 'BUS-CA' })).toBeUndefined();
    const ca = (servers: string[], options: object, credential: object) =>
      natsTlsFor(servers, options, credential)?.ca;
    // A public certificate: TLS on, the system's roots.
    expect(natsTlsFor(['tls://bus.example:4250'], none, none)).toBeDefined();
    expect(ca(['tls://bus.example:4250'], none, none)).toBeUndefined();
    expect(ca(['tls://10.0.0.1:4250'], none, { ca: 'BUS-CA' })).toBe('BUS-CA');
    expect(ca(['tls://10.0.0.1:4250'], { ca: 'CONTROL-CA' }, { ca: 'BUS-CA' })).toBe('CONTROL-CA\nBUS-CA');
    // The caller's NATS CA replaces the one from the credential.
    expect(ca(['tls://10.0.0.1:4250'], { natsCa: 'MINE' }, { ca: 'BUS-CA' })).toBe('MINE');
  });

  it('accepts a certificate only for a host of the server list (not the "localhost" node:tls falls back to)', () => {
    // The shape node:tls hands checkServerIdentity; only these two fields are read for the name check.
    const cert = {
      subject: { CN: 'bus.test' },
      subjectaltname: 'IP Address:127.0.0.1, DNS:localhost, DNS:bus.test',
    } as unknown as import('node:tls').PeerCertificate;
    const check = (servers: string[]) =>
      natsTlsFor(servers, none, { ca: 'CA' })?.checkServerIdentity('localhost', cert);
    expect(check(['tls://127.0.0.1:4250'])).toBeUndefined();
    expect(check(['tls://10.9.9.9:4250', 'tls://bus.test:4250'])).toBeUndefined();
    expect(check(['tls://10.9.9.9:4250'])).toBeInstanceOf(Error);
    expect(check(['tls://other.test:4250'])).toBeInstanceOf(Error);
  });

  it('refuses an http:// control plane off loopback', () => {
    expect(() =>
      BusClient.create({ controlUrls: ['http://192.168.1.5:8080'], identity: generateIdentity() }),
    ).toThrow(/only on loopback/);
  });
});
