// The agent's HTTP front under abuse: refusals close the connection without reading the body, connection
// caps per address (IPv6 by /64) and in total (evicting anonymous connections first), and header deadlines. Real server, real credential gate (holding no key,
// so every request is unauthenticated), raw sockets as clients.

import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  addressGroup,
  type ConnectionLimits,
  createLogger,
  openDatabase,
  openFileLimit,
} from '@homeport/core';
import { removeTempDirs, tempDir } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentDeadlines, createAgentServer } from '../../src/agent/agent-server.js';
import { agentConnectionLimits } from '../../src/agent/connection-guard.js';
import { createCredentialGate } from '../../src/agent/credential-gate.js';
import { createDavHandler, openDavState } from '../../src/agent/dav/index.js';

const MOUNT = '/dav/files/';
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  removeTempDirs();
});

async function startFront(
  options: { limits?: ConnectionLimits; deadlines?: AgentDeadlines; host?: string } = {},
): Promise<{ server: Server; port: number; serverSockets: Socket[] }> {
  const root = tempDir('homeport-front-');
  const handler = createDavHandler({ root, state: openDavState(openDatabase(':memory:')) });
  const server = createAgentServer({
    exports: [{ root, label: 'Files', mountPath: MOUNT }],
    handlers: new Map([[MOUNT, handler]]),
    gate: createCredentialGate(),
    log: createLogger({ level: 'silent' }),
    ...(options.limits ? { connectionLimits: options.limits } : {}),
    ...(options.deadlines ? { deadlines: options.deadlines } : {}),
  });
  const serverSockets: Socket[] = [];
  server.on('connection', (socket: Socket) => serverSockets.push(socket));
  servers.push(server);
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port, serverSockets };
}

interface RawClient {
  socket: Socket;
  received(): string;
  closed(): boolean;
}

async function open(port: number, localAddress = '127.0.0.1', host = '127.0.0.1'): Promise<RawClient> {
  const socket = connect({ port, host, localAddress });
  sockets.push(socket);
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {
    // A reset by the server is one of the outcomes under test; `closed` records it.
  });
  socket.on('close', () => {
    closed = true;
  });
  await once(socket, 'connect');
  return { socket, received: () => text, closed: () => closed };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const GIGABYTE_PUT = `PUT ${MOUNT}big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n`;

describe('refusals', () => {
  it('answers an unauthenticated PUT with 401 and closes without reading its body', async () => {
    const { port, serverSockets } = await startFront();
    const client = await open(port);
    client.socket.write(`${GIGABYTE_PUT}abc`);
    // One byte every 50 ms: without the close the server would keep reading for as long as bytes come.
    const trickle = setInterval(() => {
      if (!client.socket.destroyed) client.socket.write('x');
    }, 50);
    try {
      await until('the 401 and the close', () => client.closed());
    } finally {
      clearInterval(trickle);
    }
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(client.received().toLowerCase()).toContain('connection: close');
    expect(serverSockets[0]?.bytesRead).toBeLessThan(4096);
  });

  it('closes after a refused PUT even when the client pushes its body as fast as it can', async () => {
    const { port, serverSockets } = await startFront();
    const client = await open(port);
    client.socket.write(GIGABYTE_PUT);
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    const pump = () => {
      while (!client.socket.destroyed && sent < 256 * 1024 * 1024 && client.socket.write(chunk))
        sent += chunk.length;
    };
    client.socket.on('drain', pump);
    pump();
    await until('the close', () => client.closed());
    // Bytes already in flight are read with the headers; the rest of the gigabyte is not.
    expect(serverSockets[0]?.bytesRead ?? 0).toBeLessThan(16 * 1024 * 1024);
  });

  it('never invites the body of an unauthenticated PUT that expects 100-continue', async () => {
    const { port } = await startFront();
    const client = await open(port);
    client.socket.write(
      `PUT ${MOUNT}big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n`,
    );
    await until('the close', () => client.closed());
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(client.received()).not.toContain('100 Continue');
  });

  it('closes after a 404 outside every export and after an OPTIONS with a body', async () => {
    const { port } = await startFront();
    const outside = await open(port);
    outside.socket.write('PUT /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    await until('the close', () => outside.closed());
    expect(outside.received()).toMatch(/^HTTP\/1\.1 404 /);

    const options = await open(port);
    options.socket.write(`OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`);
    await until('the close', () => options.closed());
    expect(options.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('keeps the connection of a bodyless unauthenticated OPTIONS (Finder mounts that way)', async () => {
    const { port } = await startFront();
    const client = await open(port);
    client.socket.write(
      `OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    await until('two answers', () => client.received().split('HTTP/1.1 200').length === 3);
    expect(client.closed()).toBe(false);
  });
});

describe('deadlines', () => {
  it('cuts a connection that sends no request, and one that trickles its headers', async () => {
    const { port } = await startFront({ deadlines: { headersMs: 600, keepAliveMs: 600, idleMs: 60_000 } });
    const silent = await open(port);
    const slow = await open(port);
    slow.socket.write(`GET ${MOUNT} HTTP/1.1\r\n`);
    const trickle = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write('X-A: b\r\n');
    }, 100);
    try {
      await until('both closed', () => silent.closed() && slow.closed());
    } finally {
      clearInterval(trickle);
    }
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('connection caps', () => {
  it('holds one address to its cap by closing its own oldest idle connection, and admits other addresses', async () => {
    const { port, serverSockets } = await startFront({
      limits: { maxConnections: 100, maxConnectionsPerAddress: 3 },
    });
    const held: RawClient[] = [];
    for (let i = 0; i < 3; i += 1) {
      held.push(await open(port));
      await until('the server to count it', () => serverSockets.length === held.length);
    }
    const extra = await open(port);
    // The address's own oldest idle connection makes room: a flood from one address pushes out itself.
    await until('the oldest of that address to be closed', () => held[0]?.closed() === true);
    for (const client of held.slice(1)) expect(client.closed()).toBe(false);
    extra.socket.write(`OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until('an answer to the newcomer', () => extra.received().includes('200 OK'));

    const other = await open(port, '127.0.0.2');
    other.socket.write(`OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until('an answer', () => other.received().includes('200 OK'));
    for (const client of held.slice(1)) expect(client.closed()).toBe(false);
  });

  it('at the total cap, closes the oldest unauthenticated connection to admit a newcomer', async () => {
    const { port, serverSockets } = await startFront({
      limits: { maxConnections: 4, maxConnectionsPerAddress: 4 },
    });
    // Idle anonymous connections from four addresses fill the agent (the connflood attack, scaled down).
    const held: RawClient[] = [];
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) {
      held.push(await open(port, address));
      await until('the server to count it', () => serverSockets.length === held.length);
    }
    const newcomer = await open(port, '127.0.0.6');
    newcomer.socket.write(`OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await until('an answer', () => newcomer.received().includes('200 OK'));
    await until('the oldest to be closed', () => held[0]?.closed() === true);
    for (const client of held.slice(1)) expect(client.closed()).toBe(false);
    expect(newcomer.closed()).toBe(false);
  });

  it('keeps letting newcomers in while more idle connections arrive than the cap', async () => {
    const { port } = await startFront({ limits: { maxConnections: 8, maxConnectionsPerAddress: 4 } });
    // Five addresses × four idle connections: more than the total cap, each address within its own.
    const flood = await Promise.all(
      Array.from({ length: 20 }, (_, i) => open(port, `127.0.1.${1 + (i % 5)}`)),
    );
    expect(await answers(port)).toBe(true);
    await until('the agent to hold at most its cap', () => flood.filter((c) => !c.closed()).length <= 7);
  });

  it('counts IPv6 addresses by /64 for the per-address cap, IPv4-mapped ones as IPv4', () => {
    const home = addressGroup('2001:db8:1:2::1');
    expect(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(home);
    expect(addressGroup('2001:0DB8:0001:0002:0:0:0:9')).toBe(home);
    expect(addressGroup('2001:db8:1:2::')).toBe(home);
    expect(addressGroup('2001:db8:1:3::1')).not.toBe(home);
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    expect(addressGroup('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressGroup('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('192.0.2.7')).toBe('192.0.2.7');
  });

  it('applies the per-address cap to IPv6 clients by their /64', async () => {
    const { port, serverSockets } = await startFront({
      limits: { maxConnections: 100, maxConnectionsPerAddress: 2 },
      host: '::1',
    });
    const held: RawClient[] = [];
    for (let i = 0; i < 2; i += 1) {
      held.push(await open(port, '::1', '::1'));
      await until('the server to count it', () => serverSockets.length === held.length);
    }
    const extra = await open(port, '::1', '::1');
    await until('the oldest of that /64 to be closed', () => held[0]?.closed() === true);
    expect(held[1]?.closed()).toBe(false);
    expect(extra.closed()).toBe(false);
  });

  it('derives the total cap from the open-file limit, leaving half to the control plane', () => {
    expect(agentConnectionLimits(256)).toEqual({ maxConnections: 128, maxConnectionsPerAddress: 64 });
    expect(agentConnectionLimits(1_048_576).maxConnections).toBe(1024);
    expect(agentConnectionLimits(20).maxConnections).toBe(16);
    expect(openFileLimit()).toBeGreaterThan(0);
  });
});

/** Whether a new connection gets an answer to an OPTIONS (and not an immediate close). */
async function answers(port: number): Promise<boolean> {
  const client = await open(port);
  client.socket.write(`OPTIONS ${MOUNT} HTTP/1.1\r\nHost: x\r\n\r\n`);
  await until('an answer or a close', () => client.received().includes('200 OK') || client.closed());
  client.socket.destroy();
  return client.received().includes('200 OK');
}
