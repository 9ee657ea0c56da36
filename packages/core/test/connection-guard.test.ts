// The control plane's connection guard on a real HTTP server over loopback: per-address and total caps,
// the oldest idle connection closed to make room, requests in flight never closed, proxies exempt.

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addressGroup,
  type ConnectionGuard,
  type ConnectionLimits,
  defaultConnectionLimits,
  guardConnections,
  openFileLimit,
} from '../src/http/connection-guard.js';
import { createLogger } from '../src/index.js';

const log = createLogger({ level: 'silent' });
let server: Server | undefined;
/** Connections the server has seen (after the guard's own listener ran on them). */
let seen = 0;
const sockets: Socket[] = [];
const held: ServerResponse[] = [];

afterEach(async () => {
  for (const response of held.splice(0)) response.end();
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server whose `/hold` requests stay in flight until the test ends; anything else answers `ok`. */
async function guarded(
  limits: ConnectionLimits,
  isProxyPeer?: (address: string) => boolean,
): Promise<{ port: number; guard: ConnectionGuard }> {
  let guard: ConnectionGuard | undefined;
  const s = createServer((request, response) => {
    if (request.url === '/signed-in') guard?.markAuthenticated(request.socket);
    if (request.url === '/hold') {
      response.writeHead(200);
      response.write('held\n');
      held.push(response);
    } else response.end('ok');
  });
  server = s;
  seen = 0;
  guard = guardConnections(s, { limits, log, ...(isProxyPeer ? { isProxyPeer } : {}) });
  s.on('connection', () => {
    seen += 1;
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { port: (s.address() as AddressInfo).port, guard }; // listening on TCP, so an AddressInfo
}

/** An open connection from `localAddress`, once the guard has decided on it. */
async function open(port: number, localAddress: string): Promise<Socket> {
  const before = seen;
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {
    // A socket closed by the guard may see a reset; the test looks at `closed` instead.
  });
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  await until(() => seen > before);
  return socket;
}

/** Sends one request on the socket and resolves with the first bytes of the answer ('' if it closed). */
function ask(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk) => resolve(chunk.toString()));
    socket.once('close', () => resolve(''));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('addressGroup', () => {
  it('counts IPv4 addresses one by one and IPv6 addresses by their /64', () => {
    expect(addressGroup('192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(addressGroup('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(addressGroup('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});

describe('defaultConnectionLimits', () => {
  it('takes 3/8 of the open-file limit, between 16 and 4096, and 64 per address', () => {
    expect(defaultConnectionLimits(256)).toEqual({ maxConnections: 96, maxConnectionsPerAddress: 64 });
    expect(defaultConnectionLimits(1024)).toEqual({ maxConnections: 384, maxConnectionsPerAddress: 64 });
    expect(defaultConnectionLimits(20)).toEqual({ maxConnections: 16, maxConnectionsPerAddress: 16 });
    expect(defaultConnectionLimits(1_048_576).maxConnections).toBe(4096);
  });

  it('reads the limit of this process', () => {
    expect(openFileLimit()).toBeGreaterThan(0);
  });
});

describe('guardConnections', () => {
  it('refuses nonsense limits when installed', () => {
    expect(() =>
      guardConnections(createServer(), { limits: { maxConnections: 0, maxConnectionsPerAddress: 1 }, log }),
    ).toThrow(RangeError);
  });

  it('over the per-address cap, closes that address’s oldest idle connection, not others’', async () => {
    const { port, guard } = await guarded({ maxConnections: 10, maxConnectionsPerAddress: 2 });
    const other = await open(port, '127.0.0.3');
    const first = await open(port, '127.0.0.2');
    const second = await open(port, '127.0.0.2');
    const third = await open(port, '127.0.0.2');
    await until(() => first.closed);
    expect(guard.openFrom('127.0.0.2')).toBe(2);
    expect([second.closed, third.closed, other.closed]).toEqual([false, false, false]);
    expect(await ask(third, '/')).toContain('200 OK');
  });

  it('at the total cap, closes the connection idle longest that never signed in, and serves the newcomer', async () => {
    const { port, guard } = await guarded({ maxConnections: 3, maxConnectionsPerAddress: 3 });
    const signedIn = await open(port, '127.0.0.2');
    expect(await ask(signedIn, '/signed-in')).toContain('200 OK'); // idle between requests now: closed last
    const silent = await open(port, '127.0.0.3');
    const anonymous = await open(port, '127.0.0.4');
    expect(await ask(anonymous, '/')).toContain('200 OK');
    const newcomer = await open(port, '127.0.0.1');
    await until(() => silent.closed);
    expect([signedIn.closed, anonymous.closed]).toEqual([false, false]);
    expect(await ask(newcomer, '/')).toContain('200 OK');
    expect(guard.open).toBe(3);
    // Next the anonymous one idle longest, still before the signed-in one that went idle earlier.
    await open(port, '127.0.0.5');
    await until(() => anonymous.closed);
    expect(signedIn.closed).toBe(false);
    // With only signed-in connections left idle, the one idle longest goes.
    expect(await ask(newcomer, '/signed-in')).toContain('200 OK');
    const last = await open(port, '127.0.0.6');
    expect(await ask(last, '/signed-in')).toContain('200 OK');
    await open(port, '127.0.0.7');
    await until(() => signedIn.closed);
    expect([newcomer.closed, last.closed]).toEqual([false, false]);
  });

  it('at the total cap, takes from an address over its share before a lone client idle longer', async () => {
    const { port, guard } = await guarded({ maxConnections: 8, maxConnectionsPerAddress: 8 });
    const lone = await open(port, '127.0.0.9'); // idle longest of all, and never signed in
    const flood: Socket[] = [];
    for (let i = 0; i < 7; i += 1) flood.push(await open(port, '127.0.0.2'));
    // The flood reconnects: each newcomer over the total cap closes the flood's own oldest connection.
    for (let i = 0; i < 5; i += 1) {
      await open(port, '127.0.0.2');
      await until(() => flood[i]?.closed === true);
    }
    expect(lone.closed).toBe(false);
    expect(await ask(lone, '/')).toContain('200 OK');
    expect(guard.open).toBe(8);
  });

  it('never closes a connection with a request in flight; with nothing idle, the newcomer is refused', async () => {
    const { port, guard } = await guarded({ maxConnections: 2, maxConnectionsPerAddress: 2 });
    const busy = [await open(port, '127.0.0.2'), await open(port, '127.0.0.3')];
    for (const socket of busy) expect(await ask(socket, '/hold')).toContain('held');
    const refused = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' });
    refused.on('error', () => {
      // Expected: the guard destroys it.
    });
    sockets.push(refused);
    await until(() => refused.closed);
    expect(busy.map((socket) => socket.closed)).toEqual([false, false]);
    expect(guard.open).toBe(2);
  });

  it('does not apply the per-address cap to a trusted proxy', async () => {
    const { port, guard } = await guarded(
      { maxConnections: 10, maxConnectionsPerAddress: 2 },
      (address) => address === '127.0.0.9',
    );
    const viaProxy = [];
    for (let i = 0; i < 5; i += 1) viaProxy.push(await open(port, '127.0.0.9'));
    expect(guard.open).toBe(5);
    expect(viaProxy.some((socket) => socket.closed)).toBe(false);
  });
});
