// Rate budgets of the node routes, decided after the token check: an authenticated node spends its own
// budget, a refused request spends its address's. Anonymous traffic from a node's address (or spoofed to
// look like it) therefore cannot push that node offline, which a per-address limit in front of the token
// check allowed.

/** Per-process counters over fixed one-minute windows (like the other throttles; see docs/security.md). */
export interface NodeThrottle {
  /** Counts a refused request from `ip`; true when that address has been refused too often this window. */
  refused(ip: string): boolean;
  /** Counts an authenticated request of a node; true when the node is over its budget this window. */
  admitted(nodeId: string): boolean;
}

export interface NodeThrottleOptions {
  clock: () => number;
  /** Refused node requests per address and minute before they are answered 429 (default 60). */
  refusalsPerMinute?: number;
  /** Requests per node and minute (default 1200: a heartbeat every 200 ms with room for syncs and keys). */
  requestsPerMinute?: number;
}

const WINDOW_MS = 60_000;
/** Distinct addresses tracked per window; past it, further refused addresses count as over budget. */
const MAX_TRACKED = 10_000;

export function createNodeThrottle(options: NodeThrottleOptions): NodeThrottle {
  const refusalsPerMinute = options.refusalsPerMinute ?? 60;
  const requestsPerMinute = options.requestsPerMinute ?? 1200;
  let windowStart = options.clock();
  const refusals = new Map<string, number>();
  const requests = new Map<string, number>();

  const roll = () => {
    const now = options.clock();
    if (now - windowStart < WINDOW_MS) return;
    windowStart = now;
    refusals.clear();
    requests.clear();
  };
  const count = (counts: Map<string, number>, key: string, limit: number): boolean => {
    roll();
    const seen = counts.get(key);
    if (seen === undefined && counts.size >= MAX_TRACKED) return true;
    const next = (seen ?? 0) + 1;
    counts.set(key, next);
    return next > limit;
  };

  return {
    refused: (ip) => count(refusals, ip, refusalsPerMinute),
    admitted: (nodeId) => count(requests, nodeId, requestsPerMinute),
  };
}
