// Hundreds of idle connections to the control plane's own port, from several loopback addresses and
// reconnecting as soon as they are closed, in a Homeport under a low open-file limit: the connection guard
// keeps the control plane within its share of descriptors, so /health and sign-in keep answering.

import { connect, type Socket } from 'node:net';
import { type HomeportInstance, startHomeport } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorsOf, keepsAnswering, untilDescriptors } from './support/flood.js';

/** Descriptors for the whole process: the control plane may hold 3/8 of them (connection-guard.ts). */
const OPEN_FILE_LIMIT = 256;
/** Twice the process's descriptors, each address at the per-address cap (64). */
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.1.${i + 1}`);
const PER_ADDRESS = 64;
/** How soon a flood socket comes back after the server closes it (as /tmp/attack/connflood.mjs does). */
const RECONNECT_MS = 200;

let homeport: HomeportInstance;
const flood = new Set<Socket>();
let flooding = false;

beforeAll(async () => {
  homeport = await startHomeport({
    openFileLimit: OPEN_FILE_LIMIT,
    env: { HOMEPORT_LOG_LEVEL: 'warn', HOMEPORT_RATE_LIMIT_MAX: '0' },
  });
});

afterAll(async () => {
  flooding = false;
  for (const socket of flood) socket.destroy();
  await homeport?.process.stop();
});

/** One idle connection that sends nothing, and reconnects once closed while the flood lasts. */
function idleConnection(localAddress: string, port: number): void {
  if (!flooding) return;
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  flood.add(socket);
  socket.on('error', () => {
    // Resets are the server closing the connection; 'close' follows and reconnects.
  });
  socket.on('close', () => {
    flood.delete(socket);
    setTimeout(() => idleConnection(localAddress, port), RECONNECT_MS);
  });
}

describe('the control plane under a flood of idle connections', () => {
  it('keeps /health and logins answering while hundreds of idle sockets from 8 addresses hold its port', async () => {
    const descriptors = () => descriptorsOf(homeport.process.pid);
    const before = descriptors();
    flooding = true;
    for (const address of ADDRESSES)
      for (let i = 0; i < PER_ADDRESS; i += 1) idleConnection(address, homeport.port);
    // Wait until the server holds the flood (without the guard it takes every descriptor it can).
    await untilDescriptors(homeport.process.pid, before + 80);
    // For 8 s of flood (the header timeout, 10 s, would otherwise be what frees sockets), every request answers.
    const rounds = await keepsAnswering(homeport, 8_000);
    expect(rounds).toBeGreaterThan(3);
    // The process stayed within its limit with room to spare, and is still running.
    expect(descriptors()).toBeLessThan(OPEN_FILE_LIMIT - 16);
    expect(homeport.process.exitStatus()).toBeUndefined();
  }, 60_000);
});
