// Caps the agent's connections, in total and per remote address, so that clients of the WebDAV server
// (authenticated or not) cannot take the file descriptors the control plane in the same process needs.

import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@homeport/core';

export interface ConnectionLimits {
  /** Open connections the agent accepts at once; the next ones are destroyed as soon as they arrive. */
  maxConnections: number;
  /** Open connections from one remote address (IPv4, or an IPv6 address as given). */
  maxConnectionsPerIp: number;
}

/** Never more than this many connections, whatever the descriptor limit allows. */
export const MAX_CONNECTIONS_CEILING = 1024;
/**
 * Finder opens a handful of connections per mount and rclone about a dozen (--transfers 4, --checkers 8);
 * 64 leaves room for a household behind one NAT address.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 64;
/** Below this the agent is not usable; a tiny descriptor limit still gets it. */
const MIN_CONNECTIONS = 16;
/** How often a refusal is logged at most: an attack must not turn into a flood of log lines. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** RLIMIT_NOFILE of this process (Node raises the soft limit to the hard one at startup), from /proc. */
export function openFileLimit(limits = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limits, 'utf8');
  } catch {
    // Not Linux (no /proc): the caller falls back to the ceiling.
    return undefined;
  }
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (match?.[1] === undefined || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/**
 * Half of the descriptor limit for the agent, at most MAX_CONNECTIONS_CEILING: the other half stays for the
 * control plane (its clients, SQLite, the bus) even when the agent is full.
 */
export function defaultConnectionLimits(fileLimit = openFileLimit()): ConnectionLimits {
  const half = fileLimit === undefined ? MAX_CONNECTIONS_CEILING : Math.floor(fileLimit / 2);
  const maxConnections = Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS_CEILING, half));
  return {
    maxConnections,
    maxConnectionsPerIp: Math.min(DEFAULT_MAX_CONNECTIONS_PER_IP, maxConnections),
  };
}

export interface ConnectionGuard {
  /** Connections open now, per remote address (for tests and diagnostics). */
  openFrom(address: string): number;
}

export interface ConnectionGuardOptions {
  limits: ConnectionLimits;
  log: Logger;
  clock?: () => number;
}

/**
 * Installs the caps on `server`. The total cap uses net.Server's own `maxConnections`, which closes an
 * accepted descriptor before any socket object or HTTP parser exists; the per-address cap destroys the
 * socket in a 'connection' listener that runs before the HTTP server's own.
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuard {
  const { limits, log } = options;
  if (!Number.isSafeInteger(limits.maxConnections) || limits.maxConnections < 1)
    throw new RangeError(`maxConnections must be a positive whole number, got ${limits.maxConnections}`);
  if (!Number.isSafeInteger(limits.maxConnectionsPerIp) || limits.maxConnectionsPerIp < 1)
    throw new RangeError(
      `maxConnectionsPerIp must be a positive whole number, got ${limits.maxConnectionsPerIp}`,
    );
  const clock = options.clock ?? Date.now;
  const perAddress = new Map<string, number>();
  let refusedSinceLog = 0;
  let lastLog = Number.NEGATIVE_INFINITY;

  const refused = (reason: 'total' | 'per_ip', remoteAddress: string | undefined) => {
    refusedSinceLog += 1;
    const now = clock();
    if (now - lastLog < REFUSAL_LOG_INTERVAL_MS) return;
    log.warn(
      { reason, remoteAddress, refused: refusedSinceLog, ...limits },
      'webdav connection refused: the agent is at its connection cap',
    );
    lastLog = now;
    refusedSinceLog = 0;
  };

  server.maxConnections = limits.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string }) => refused('total', data?.remoteAddress));

  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    // A socket closed before we saw it has no address; there is nothing to count.
    if (address === undefined) return;
    const open = perAddress.get(address) ?? 0;
    if (open >= limits.maxConnectionsPerIp) {
      refused('per_ip', address);
      socket.destroy();
      return;
    }
    perAddress.set(address, open + 1);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });

  return { openFrom: (address) => perAddress.get(address) ?? 0 };
}
