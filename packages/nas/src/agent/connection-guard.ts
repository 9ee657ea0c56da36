// The agent's share of the process's file descriptors: its WebDAV clients (authenticated or not) are capped,
// in total and per address, by core's connection guard, so that they cannot take the descriptors the control
// plane in the same process needs. WebDAV workers (HOMEPORT_DAV_WORKERS) each apply these caps to their own
// connections: the caps guard a process's descriptors, and round-robin spreads one address over the workers.

import { type ConnectionLimits, connectionLimitsFor, openFileLimit } from '@homeport/core';

/** Never more than this many agent connections, whatever the descriptor limit allows. */
export const AGENT_MAX_CONNECTIONS = 1024;

/**
 * Half of the descriptor limit, at most AGENT_MAX_CONNECTIONS; the control plane takes 3/8 and the rest is
 * left for SQLite and logs. Finder opens a handful of connections per mount and rclone about a dozen
 * (--transfers 4, --checkers 8): the per-address cap of 64 leaves room for a household behind one NAT address.
 */
export function agentConnectionLimits(fileLimit = openFileLimit()): ConnectionLimits {
  return connectionLimitsFor(1 / 2, AGENT_MAX_CONNECTIONS, fileLimit);
}
