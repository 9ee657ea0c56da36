// Hundreds of slow, unauthenticated connections to the embedded WebDAV agent, in a Homeport running under a
// low open-file limit: the agent sheds them (refusals closed unread, header deadline, connection caps) and
// the control plane in the same process keeps answering /health and logins.

import { connect, type Socket } from 'node:net';
import { type HomeportInstance, startHomeport } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorsOf, keepsAnswering, untilDescriptors } from './support/flood.js';

/** Descriptors for the whole process; the agent may take half (connection-guard.ts), the rest is the control plane's. */
const OPEN_FILE_LIMIT = 256;
/** More connections than the process has descriptors, from ten loopback addresses (past the per-address cap). */
const ADDRESSES = Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`);
const PER_ADDRESS = 40;

let homeport: HomeportInstance;
const attackers: Socket[] = [];
let trickle: NodeJS.Timeout | undefined;

beforeAll(async () => {
  homeport = await startHomeport({
    openFileLimit: OPEN_FILE_LIMIT,
    env: { HOMEPORT_LOG_LEVEL: 'warn', HOMEPORT_RATE_LIMIT_MAX: '0' },
  });
});

afterAll(async () => {
  if (trickle) clearInterval(trickle);
  for (const socket of attackers) socket.destroy();
  await homeport?.process.stop();
});

/** What each kind of attacker sends first, and then every two seconds (idle ones send nothing). */
const ATTACKS = {
  put: {
    first: 'PUT /dav/files/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\nx',
    trickle: 'x',
  },
  'slow-headers': { first: 'GET /dav/files/ HTTP/1.1\r\nHost: x\r\nX-Slow: ', trickle: 'a' },
  idle: { first: '', trickle: '' },
} as const;
type AttackKind = keyof typeof ATTACKS;
const trickles = new Map<Socket, string>();

/** One attacking connection: a PUT announcing a gigabyte, an idle socket, or headers sent a byte at a time. */
function attack(kind: AttackKind, localAddress: string, davPort: number): Socket {
  const socket = connect({ host: '127.0.0.1', port: davPort, localAddress });
  socket.on('error', () => {
    // Resets and refusals are the agent defending itself; the test counts closed sockets instead.
  });
  socket.on('connect', () => {
    if (ATTACKS[kind].first !== '') socket.write(ATTACKS[kind].first);
  });
  attackers.push(socket);
  if (ATTACKS[kind].trickle !== '') trickles.set(socket, ATTACKS[kind].trickle);
  return socket;
}

describe('the embedded agent under connection exhaustion', () => {
  it('keeps /health and logins answering while hundreds of trickling connections hit the agent', async () => {
    const davPort = Number(new URL(homeport.davUrl).port);
    const before = descriptorsOf(homeport.process.pid);
    const kinds: AttackKind[] = ['put', 'idle', 'slow-headers'];
    ADDRESSES.forEach((address, a) => {
      for (let i = 0; i < PER_ADDRESS; i += 1) attack(kinds[(a + i) % 3] ?? 'idle', address, davPort);
    });
    // A byte every two seconds on every connection still open: the PUT bodies and the headers trickle.
    trickle = setInterval(() => {
      for (const [socket, byte] of trickles) if (!socket.destroyed && socket.writable) socket.write(byte);
    }, 2_000);
    // Wait until the server has taken the attack in (with the caps the agent holds at most half the limit,
    // fewer once it has closed the refused PUTs; without them it takes every descriptor).
    await untilDescriptors(homeport.process.pid, before + 40);
    // For 8 s of the attack (the agent's header deadline is 20 s), the control plane answers every time.
    const rounds = await keepsAnswering(homeport, 8_000);
    expect(rounds).toBeGreaterThan(3);
    const open = attackers.filter((socket) => !socket.destroyed).length;
    // The agent held some connections (up to its cap) and shed the rest.
    expect(open).toBeGreaterThan(0);
    expect(open).toBeLessThan(attackers.length);
    expect(homeport.process.exitStatus()).toBeUndefined();
  }, 60_000);
});
