// The checks a route change passes before anything changes: shared by the in-process proxy and the worker
// pool's primary, so a bad route is refused where the deployer calls, the same way with or without workers.

import { ProxyError } from './errors.js';
import { normalizeHost } from './hosts.js';
import type { ProxyLimits, ProxyRoute } from './types.js';

export function checkLimits(limits: ProxyLimits): void {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new ProxyError('invalid_options', `Proxy limit ${name} must be a positive integer`);
    }
  };
  positive('maxBodyBytes', limits.maxBodyBytes);
  positive('upstreamTimeoutMs', limits.upstreamTimeoutMs);
  positive('maxSocketsPerUpstream', limits.maxSocketsPerUpstream);
  positive('maxFreeSocketsPerUpstream', limits.maxFreeSocketsPerUpstream);
  positive('headersTimeoutMs', limits.headersTimeoutMs);
}

/** The table key of a configured host name; a port, a path or anything not a host name is refused. */
export function routeKey(host: string): string {
  const key = normalizeHost(host);
  if (key === null || key !== host.trim().toLowerCase().replace(/\.$/, '')) {
    throw new ProxyError('invalid_route', `${JSON.stringify(host)} is not a host name (no port, no path)`);
  }
  return key;
}

export function checkRoute(route: ProxyRoute): void {
  for (const field of ['stage', 'release', 'color'] as const) {
    if (typeof route[field] !== 'string' || route[field].length === 0 || route[field].length > 200) {
      throw new ProxyError('invalid_route', `Route ${field} must be a non-empty string`);
    }
  }
}

export function checkDrainTimeout(timeoutMs: number): void {
  if (!(Number.isInteger(timeoutMs) && timeoutMs >= 0)) {
    throw new ProxyError('invalid_options', 'Drain timeout must be a non-negative integer (ms)');
  }
}
