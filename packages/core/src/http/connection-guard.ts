// Caps a server's open connections, in total and per client address, so idle or slow sockets cannot take
// every file descriptor of the process (sign-in, /health, the database and the embedded agent need some).
// When the cap is reached the oldest connection doing nothing is closed to make room, so a flood of idle
// sockets pushes out its own older sockets instead of shutting out everyone who arrives after it.

import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';

export interface ConnectionLimits {
  /** Open connections at once, every address together. */
  maxConnections: number;
  /** Open connections from one address group (an IPv4 address, or an IPv6 /64). */
  maxConnectionsPerAddress: number;
}

/** Never more than this many control-plane connections, whatever the descriptor limit allows. */
export const MAX_CONNECTIONS_CEILING = 4096;
/** A browser opens up to 6 connections per origin (plus an event stream per tab): 64 covers a household behind NAT. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 64;
/** Below this the server is not usable; a tiny descriptor limit still gets it. */
const MIN_CONNECTIONS = 16;
/** Idle connections looked at, oldest first, for one over its group's share before taking the oldest. */
const SHARE_SCAN = 64;
/** How often a refusal or eviction is logged at most: an attack must not turn into a flood of log lines. */
const LOG_INTERVAL_MS = 60_000;

/** RLIMIT_NOFILE of this process (Node raises the soft limit to the hard one at startup), from /proc. */
export function openFileLimit(limits = '/proc/self/limits'): number | undefined {
  let text: string;
  try {
    text = readFileSync(limits, 'utf8');
  } catch {
    // Not Linux (no /proc): the caller falls back to its ceiling.
    return undefined;
  }
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (match?.[1] === undefined || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/** Caps from a server's share of the descriptor limit (`fileLimit × share`, within MIN and `ceiling`). */
export function connectionLimitsFor(
  share: number,
  ceiling: number,
  fileLimit = openFileLimit(),
): ConnectionLimits {
  const part = fileLimit === undefined ? ceiling : Math.floor(fileLimit * share);
  const maxConnections = Math.max(MIN_CONNECTIONS, Math.min(ceiling, part));
  return {
    maxConnections,
    maxConnectionsPerAddress: Math.min(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, maxConnections),
  };
}

/**
 * The control plane's share of the descriptor limit: 3/8 of it. The embedded agent takes at most half
 * (`agentConnectionLimits` in packages/nas), and the last eighth stays for SQLite (database, WAL, shared
 * memory), log output, the agent's own calls to this server and outgoing requests (OIDC), even when both
 * are full.
 */
export function defaultConnectionLimits(fileLimit = openFileLimit()): ConnectionLimits {
  return connectionLimitsFor(3 / 8, MAX_CONNECTIONS_CEILING, fileLimit);
}

/**
 * The group a client address is counted in: an IPv4 address as is (IPv4-mapped IPv6 included), an IPv6
 * address by its /64 — one host is usually given a whole /64, so counting single addresses would give it
 * 2^64 budgets.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // A trailing dotted IPv4 part counts as two groups; it lies in the last 64 bits, which are dropped anyway.
  const rightGroups = right.flatMap((part) => (part.includes('.') ? ['0', '0'] : [part]));
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array.from({ length: 8 - left.length - rightGroups.length }, () => '0'), ...rightGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

export interface ConnectionGuardOptions {
  limits: ConnectionLimits;
  log: Logger;
  /** Peers exempt from the per-address cap (our reverse proxies: every client arrives from their address). */
  isProxyPeer?: (address: string) => boolean;
  /** Names the server in log lines (`control plane`, `webdav`). */
  name?: string;
  clock?: () => number;
}

export interface ConnectionGuard {
  /** Open connections now, in total. */
  readonly open: number;
  /** Open connections now from the group of this address. */
  openFrom(address: string): number;
  /**
   * Records that a request on this socket (or the TLS socket over it) carried an accepted credential: while
   * idle, it is closed only after every idle connection that never did.
   */
  markAuthenticated(socket: Socket): void;
}

/** One tracked connection; `state` says whether it may be closed to make room. */
interface Tracked {
  socket: Socket;
  /** `address|port` of the client, the same on a TLS socket and the TCP socket under it. */
  peer: string;
  group: Group | undefined;
  /** `busy`: a request in flight; otherwise idle (or not done sending its first request). */
  state: 'idle' | 'busy';
  /** A request on it carried an accepted credential. */
  authenticated: boolean;
  inFlight: number;
  /** Closed and forgotten: a later lookup through a socket must not revive it. */
  closed: boolean;
  /**
   * Listens for the end of each of its responses: made once per connection, so a request adds a listener
   * but allocates no closure (and no `once` wrapper: a response closes once and is then dropped).
   */
  responseClosed: () => void;
}

/** Per address group: its count, and its closable connections oldest first. */
interface Group {
  key: string;
  count: number;
  anonymous: Set<Tracked>;
  authenticated: Set<Tracked>;
}

/**
 * Installs the caps on an HTTP(S) server; call before it listens. A new connection over a cap first pushes
 * out the connection of its group (per-address cap) or of all (total cap: from a group over its share when
 * one is among the 64 idle longest) that has been idle longest — one
 * that never carried an authenticated request if any (including one still sending its first request),
 * else an authenticated one idle between requests. A connection with a request in flight (an API call, an
 * event stream, an upload) is never closed; when nothing is closable the newcomer is closed instead.
 *
 * @example
 *   const guard = guardConnections(server, { limits: defaultConnectionLimits(), log });
 *   // once a request's credential is accepted:
 *   guard.markAuthenticated(request.socket);
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuard {
  const { limits, log } = options;
  for (const [name, value] of Object.entries(limits))
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive whole number, got ${value}`);
  const clock = options.clock ?? Date.now;
  const isProxyPeer = options.isProxyPeer ?? (() => false);
  const name = options.name ?? 'http';
  const groups = new Map<string, Group>();
  /** Open connections by `address|port`. */
  const byPeer = new Map<string, Tracked>();
  /**
   * The same records by socket object: every request looks its connection up, and a WeakMap hit is cheaper
   * than building the `address|port` string. Behind TLS the request's socket wraps the counted one, so its
   * first request finds the record by peer and adds the TLS socket here.
   */
  const bySocket = new WeakMap<Socket, Tracked>();
  // Connections without a request in flight, in the order they went idle (the first is idle longest), so
  // picking whom to close is O(1) under a flood: anonymous ones first, then those that authenticated.
  const anonymous = new Set<Tracked>();
  const authenticated = new Set<Tracked>();
  const counts = { evicted: 0, refused: 0 };
  let lastLog = Number.NEGATIVE_INFINITY;

  const report = (
    event: 'evicted' | 'refused',
    reason: 'total' | 'per_address',
    group: string | undefined,
  ) => {
    counts[event] += 1;
    const now = clock();
    if (now - lastLog < LOG_INTERVAL_MS) return;
    log.warn(
      { reason, addressGroup: group, ...counts, ...limits },
      `${name} connection cap reached: closing the oldest idle connections (refusing new ones when none is idle)`,
    );
    lastLog = now;
    counts.evicted = 0;
    counts.refused = 0;
  };

  /** Takes it out of the closable sets it is in (those of its current kind), if idle. */
  const leave = (tracked: Tracked) => {
    if (tracked.state === 'busy') return;
    if (tracked.authenticated) {
      authenticated.delete(tracked);
      tracked.group?.authenticated.delete(tracked);
    } else {
      anonymous.delete(tracked);
      tracked.group?.anonymous.delete(tracked);
    }
  };

  const setState = (tracked: Tracked, state: Tracked['state']) => {
    leave(tracked);
    tracked.state = state;
    if (state === 'busy') return;
    // Re-adding moves it to the end: the connection idle longest stays first.
    (tracked.authenticated ? authenticated : anonymous).add(tracked);
    (tracked.authenticated ? tracked.group?.authenticated : tracked.group?.anonymous)?.add(tracked);
  };

  const lookup = (socket: Socket): Tracked | undefined => {
    const known = bySocket.get(socket);
    if (known !== undefined) return known.closed ? undefined : known;
    const tracked = byPeer.get(peerOf(socket));
    if (tracked !== undefined) bySocket.set(socket, tracked);
    return tracked;
  };

  /** Closes the oldest closable connection among these sets; false when there is none. */
  const evictOne = (anonymousSet: Set<Tracked>, authenticatedSet: Set<Tracked>): boolean => {
    const victim = first(anonymousSet) ?? first(authenticatedSet);
    if (victim === undefined) return false;
    forget(victim);
    victim.socket.destroy();
    return true;
  };

  /**
   * Makes room under the total cap: the connection idle longest among those of an address group holding
   * more than its share (the cap over the groups open now), else the one idle longest of all. Without the
   * share rule, idle sockets reconnecting from a few addresses turn the whole pool over faster than a lone
   * client on a loaded machine gets its first request parsed, and that client's new connection is closed.
   */
  const evictForTotal = (): boolean => {
    const share = limits.maxConnections / Math.max(1, groups.size);
    for (const set of [anonymous, authenticated]) {
      let looked = 0;
      for (const candidate of set) {
        if (looked++ >= SHARE_SCAN) break;
        if (candidate.group === undefined || candidate.group.count > share) {
          forget(candidate);
          candidate.socket.destroy();
          return true;
        }
      }
    }
    return evictOne(anonymous, authenticated);
  };

  const forget = (tracked: Tracked) => {
    if (tracked.closed) return;
    tracked.closed = true;
    byPeer.delete(tracked.peer);
    setState(tracked, 'busy'); // removes it from every closable set
    const group = tracked.group;
    if (group === undefined) return;
    group.count -= 1;
    if (group.count <= 0) groups.delete(group.key);
  };

  // Runs before the HTTP server's own listener, so a refused socket never gets a parser.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    // A socket closed before we saw it has no address; there is nothing to count.
    if (address === undefined) return;
    const key = addressGroup(address);
    const proxied = isProxyPeer(address);
    const full = groups.get(key);
    if (!proxied && full !== undefined && full.count >= limits.maxConnectionsPerAddress) {
      if (!evictOne(full.anonymous, full.authenticated)) {
        report('refused', 'per_address', key);
        socket.destroy();
        return;
      }
      report('evicted', 'per_address', key);
    }
    if (byPeer.size >= limits.maxConnections) {
      if (!evictForTotal()) {
        report('refused', 'total', key);
        socket.destroy();
        return;
      }
      report('evicted', 'total', key);
    }
    let group: Group | undefined;
    if (!proxied) {
      group = groups.get(key) ?? { key, count: 0, anonymous: new Set(), authenticated: new Set() };
      groups.set(key, group);
      group.count += 1;
    }
    const tracked: Tracked = {
      socket,
      peer: peerOf(socket),
      group,
      state: 'idle',
      authenticated: false,
      inFlight: 0,
      closed: false,
      responseClosed: () => {
        tracked.inFlight -= 1;
        if (tracked.inFlight === 0 && !tracked.closed) setState(tracked, 'idle');
      },
    };
    byPeer.set(tracked.peer, tracked);
    bySocket.set(socket, tracked);
    setState(tracked, 'idle');
    socket.once('close', () => forget(tracked));
  });

  server.on('request', (request, response) => {
    const tracked = lookup(request.socket);
    if (tracked === undefined) return;
    tracked.inFlight += 1;
    // Already busy with a pipelined request: it is in no closable set, so there is nothing to move.
    if (tracked.inFlight === 1) setState(tracked, 'busy');
    response.on('close', tracked.responseClosed);
  });

  return {
    get open() {
      return byPeer.size;
    },
    openFrom: (address) => groups.get(addressGroup(address))?.count ?? 0,
    markAuthenticated(socket) {
      const tracked = lookup(socket);
      if (tracked === undefined || tracked.authenticated) return;
      // Out of the anonymous sets first (leave() goes by the kind it has now), then into the others.
      leave(tracked);
      const { state } = tracked;
      tracked.state = 'busy';
      tracked.authenticated = true;
      setState(tracked, state);
    },
  };
}

const peerOf = (socket: Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}
