// Caps the agent's connections, in total and per remote address, so that clients of the WebDAV server
// (authenticated or not) cannot take the file descriptors the control plane in the same process needs.

import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@homeport/core';

export interface ConnectionLimits {
  /**
   * Open connections the agent keeps at once; a newcomer past it replaces the oldest connection not yet
   * authenticated (or idle), and is destroyed as soon as it arrives only when none is.
   */
  maxConnections: number;
  /** Open connections from one remote address (an IPv4 address, or an IPv6 /64). */
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
  /** Connections open now from the group of `address` (an IPv4 address, or an IPv6 address's /64). */
  openFrom(address: string): number;
  /** Connections open now in all. */
  open(): number;
  /** Records that `socket` carried a request whose credential was accepted: it is no longer evicted first. */
  markAuthenticated(socket: Socket): void;
}

export interface ConnectionGuardOptions {
  limits: ConnectionLimits;
  log: Logger;
  clock?: () => number;
}

/**
 * What the per-address cap counts: an IPv4 address (also when written IPv4-mapped, `::ffff:a.b.c.d`), or the
 * /64 network of an IPv6 address. One host or one home network usually gets a whole /64 and may use any of
 * its 2^64 addresses, so counting IPv6 addresses one by one would cap nothing.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!address.includes(':')) return address;
  // Drop a zone (fe80::1%eth0), expand '::', keep the first four groups.
  const plain = address.split('%')[0] ?? address;
  const [head = '', tail] = plain.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) takes two groups; only the first four matter here.
  const tailLength = tailGroups.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(Math.max(0, 8 - headGroups.length - tailLength)).fill('0'),
          ...tailGroups,
        ];
  const network = groups
    .slice(0, 4)
    .map((group) => (group.includes('.') ? group : Number.parseInt(group || '0', 16).toString(16)));
  return `${network.join(':')}::/64`;
}

interface Tracked {
  group: string;
  /** A request on it got past the credential check. */
  authenticated: boolean;
  /** Requests on it not yet answered. */
  active: number;
}

/**
 * Installs the caps on `server`. Both are applied in a 'connection' listener that runs before the HTTP
 * server's own, so a refused socket is destroyed before any HTTP parser exists. At the total cap a newcomer
 * is not refused outright: the oldest connection that never carried an authenticated request is closed to
 * make room (failing that, the oldest idle one), so idle or trickling anonymous connections cannot lock the
 * agent's users out. Only when every connection is authenticated and busy is the newcomer refused.
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
  const perGroup = new Map<string, number>();
  // Insertion order is opening order: the first match of a walk is the oldest.
  const tracked = new Map<Socket, Tracked>();
  let refusedSinceLog = 0;
  let evictedSinceLog = 0;
  let lastLog = Number.NEGATIVE_INFINITY;

  const note = (reason: 'total' | 'per_ip' | 'evicted', remoteAddress: string | undefined) => {
    if (reason === 'evicted') evictedSinceLog += 1;
    else refusedSinceLog += 1;
    const now = clock();
    if (now - lastLog < REFUSAL_LOG_INTERVAL_MS) return;
    log.warn(
      { reason, remoteAddress, refused: refusedSinceLog, evicted: evictedSinceLog, ...limits },
      'webdav connection refused or evicted: the agent is at its connection cap',
    );
    lastLog = now;
    refusedSinceLog = 0;
    evictedSinceLog = 0;
  };

  const forget = (socket: Socket) => {
    const state = tracked.get(socket);
    if (state === undefined) return;
    tracked.delete(socket);
    const left = (perGroup.get(state.group) ?? 1) - 1;
    if (left <= 0) perGroup.delete(state.group);
    else perGroup.set(state.group, left);
  };

  /** The oldest connection never authenticated, else the oldest with no request in progress. */
  const victim = (): Socket | undefined => {
    let idle: Socket | undefined;
    for (const [socket, state] of tracked) {
      if (!state.authenticated) return socket;
      if (idle === undefined && state.active === 0) idle = socket;
    }
    return idle;
  };

  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    // A socket closed before we saw it has no address; there is nothing to count.
    if (address === undefined) return;
    const group = addressGroup(address);
    const open = perGroup.get(group) ?? 0;
    if (open >= limits.maxConnectionsPerIp) {
      note('per_ip', address);
      socket.destroy();
      return;
    }
    if (tracked.size >= limits.maxConnections) {
      const evict = victim();
      if (evict === undefined) {
        note('total', address);
        socket.destroy();
        return;
      }
      note('evicted', evict.remoteAddress);
      // Forgotten now rather than on its 'close', so the count is right for the newcomer at once.
      forget(evict);
      evict.destroy();
    }
    perGroup.set(group, open + 1);
    tracked.set(socket, { group, authenticated: false, active: 0 });
    socket.once('close', () => forget(socket));
  });

  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = tracked.get(request.socket);
    if (state === undefined) return;
    state.active += 1;
    response.once('close', () => {
      state.active -= 1;
    });
  });

  return {
    openFrom: (address) => perGroup.get(addressGroup(address)) ?? 0,
    open: () => tracked.size,
    markAuthenticated: (socket) => {
      const state = tracked.get(socket);
      if (state !== undefined) state.authenticated = true;
    },
  };
}
