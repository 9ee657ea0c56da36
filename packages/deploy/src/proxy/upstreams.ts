// Upstream origins and their keep-alive agents: one pool per origin, made when a route first names it and
// destroyed once it is drained and no route names it any more.

import { Agent } from 'node:http';
import { ProxyError } from './errors.js';
import type { ProxyLimits } from './types.js';

export interface Upstream {
  /** `http://host:port`, the key of the pool and of drain(). */
  origin: string;
  hostname: string;
  port: number;
  agent: Agent;
}

/** Checks and canonicalises an upstream URL: plain http, a host and a port, nothing else. */
export function parseUpstream(value: string): { origin: string; hostname: string; port: number } {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new ProxyError('invalid_route', `Upstream ${JSON.stringify(value)} is not a URL`, { cause });
  }
  if (url.protocol !== 'http:') throw new ProxyError('invalid_route', 'Upstream must be http://host:port');
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new ProxyError('invalid_route', 'Upstream must be an origin (no path, query or credentials)');
  }
  const port = url.port === '' ? 80 : Number(url.port);
  // URL keeps IPv6 literals bracketed; http.request wants them bare.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { origin: `http://${url.host}`, hostname, port };
}

export interface UpstreamPools {
  get(value: string): Upstream;
  /** The pool for an origin already known, if any. */
  find(origin: string): Upstream | undefined;
  release(origin: string): void;
  destroyAll(): void;
}

export function createUpstreamPools(limits: ProxyLimits): UpstreamPools {
  const pools = new Map<string, Upstream>();
  return {
    get(value) {
      const parsed = parseUpstream(value);
      let pool = pools.get(parsed.origin);
      if (pool === undefined) {
        pool = {
          ...parsed,
          agent: new Agent({
            keepAlive: true,
            maxSockets: limits.maxSocketsPerUpstream ?? 256,
            // As many idle sockets as busy ones: with fewer, a burst of concurrent clients keeps closing and
            // reopening upstream connections (bench/deploy: 5,000 req/s at 32 against 8,100 at 256). Idle
            // ones still go after the timeout below.
            maxFreeSockets: limits.maxFreeSocketsPerUpstream ?? 256,
            // Idle pooled sockets are dropped before a typical upstream's keep-alive (Node: 5 s) closes them,
            // so a request rarely lands on a socket the upstream is closing. Node also honours the
            // upstream's `Keep-Alive: timeout=` hint.
            timeout: 4_000,
            scheduling: 'lifo',
          }),
        };
        pools.set(parsed.origin, pool);
      }
      return pool;
    },
    find(origin) {
      return pools.get(origin);
    },
    release(origin) {
      pools.get(origin)?.agent.destroy();
      pools.delete(origin);
    },
    destroyAll() {
      for (const pool of pools.values()) pool.agent.destroy();
      pools.clear();
    },
  };
}
