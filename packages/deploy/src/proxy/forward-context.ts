// What the forwarders share: the matched route and its pool, the in-flight table, metrics, limits, logger.

import type { IncomingMessage } from 'node:http';
import type { Logger } from '@homeport/core';
import type { InFlightTable } from './in-flight.js';
import type { ProxyMetrics } from './metrics.js';
import type { ProxyLimits, ProxyRoute } from './types.js';
import type { Upstream } from './upstreams.js';

export interface ForwardContext {
  log: Logger;
  limits: ProxyLimits;
  metrics: ProxyMetrics;
  inFlight: InFlightTable;
  /** Whether a request proves it is the deployer's probe (see ProxyOptions.probeToken). */
  isProbe(req: IncomingMessage): boolean;
  /** Whether the peer is the TLS edge whose X-Forwarded-* are kept (ProxyOptions.trustForwardedFrom). */
  trustsForwarded(address: string | undefined): boolean;
}

/** A request's destination, fixed when the request starts: a later switch never moves it. */
export interface Target {
  host: string;
  route: ProxyRoute;
  upstream: Upstream;
}

/** Whether the request's path is one the route keeps out of its metrics (health probes). */
export function isMeasured(route: ProxyRoute, url: string): boolean {
  if (route.excludePaths === undefined || route.excludePaths.length === 0) return true;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return !route.excludePaths.includes(path);
}
