// The proxy's public types: a route, the limits, the options of createProxy and what drain reports.

import type { Logger } from '@homeport/core';
import type { Registry } from 'prom-client';

/** Where one public host name goes now. */
export interface ProxyRoute {
  /** `http://127.0.0.1:PORT` — an origin only: no path, query, credentials or https. */
  upstream: string;
  /** Metrics label: pass a stable identifier such as `project/stage` (never a release, to keep labels few). */
  stage: string;
  release: string;
  color: string;
  /** Paths (exact, query ignored) left out of the metrics, e.g. the stage's health check path. */
  excludePaths?: readonly string[];
}

/** What `routes()` reports per host. */
export interface ProxyRouteStatus extends ProxyRoute {
  host: string;
  maintenance: string | null;
}

export interface ProxyLimits {
  /** Largest request body accepted (413 above it, answered before the body is read). */
  maxBodyBytes: number;
  /** 504 when the upstream makes no progress for this long before its response headers. */
  upstreamTimeoutMs: number;
  /** Sockets per upstream (keep-alive pool); requests past it wait in the agent's queue. */
  maxSocketsPerUpstream?: number;
  /** Idle keep-alive sockets kept per upstream. */
  maxFreeSocketsPerUpstream?: number;
  /** Time allowed to receive the request headers from a client (slowloris guard). */
  headersTimeoutMs?: number;
}

export interface ProxyOptions {
  log: Logger;
  /** Registry to add the proxy's metrics to; none are kept without it. */
  metrics?: Registry;
  limits: ProxyLimits;
  /**
   * A request carrying `X-Homeport-Probe: <probeToken>` gets `X-Homeport-Release` and `X-Homeport-Color`
   * on its response, naming the route that served it: how the deployer checks through the proxy that a
   * switch took. Without the token (or with another value) nothing is added; the header never reaches the
   * upstream.
   */
  probeToken?: string;
  /**
   * Peer addresses (exact, as the socket reports them: `127.0.0.1`, `::1`, `::ffff:127.0.0.1`) of a TLS edge
   * in front — Caddy or nginx on this machine — whose X-Forwarded-For, -Proto and -Host are kept (each checked
   * for its shape). Anyone else's are replaced by what the proxy sees. Default: none.
   */
  trustForwardedFrom?: readonly string[];
}

export interface DrainResult {
  /** Plain HTTP requests to the upstream that finished on their own during the drain. */
  completed: number;
  /** Plain HTTP requests still running when the timeout passed, cut off. */
  cut: number;
  /** WebSocket and Server-Sent Events connections closed at once. */
  closedLongLived: number;
}

/** Connections in flight to one upstream origin. */
export interface InFlightCount {
  http: number;
  longLived: number;
}

/**
 * The proxy as the deploy module uses it, in its own process (`createProxy`) or in worker processes
 * (`createProxyWorkerPool`). Route changes resolve once they are in effect everywhere: a request that starts
 * after the promise resolved goes to the new upstream, whichever process serves it. Bad input throws a
 * ProxyError synchronously, before anything changed.
 */
export interface ReverseProxy {
  /** Starts listening; resolves with the bound port (useful with port 0). Set the routes first. */
  listen(host: string, port: number): Promise<number>;
  /** Stops listening and ends every connection (the worker pool lets requests in flight finish first). */
  close(): Promise<void>;
  /** Points `host` at a new upstream; requests that start after it resolves go there. */
  setRoute(host: string, route: ProxyRoute): Promise<void>;
  removeRoute(host: string): Promise<boolean>;
  /** A message turns maintenance on for `host` (503 with it), `null` turns it off. */
  setMaintenance(host: string, message: string | null): Promise<void>;
  /** Waits for in-flight HTTP requests to `upstream` up to `timeoutMs`, closes its WebSocket/SSE at once. */
  drain(upstream: string, timeoutMs: number): Promise<DrainResult>;
  routes(): ProxyRouteStatus[];
  /** In-flight connections per upstream origin (status and tests): summed over the workers with a pool. */
  inFlight(upstream: string): InFlightCount | Promise<InFlightCount>;
}

/** The proxy in this process: a route change is in effect when the call returns, in-flight counts are at hand. */
export interface InProcessProxy extends ReverseProxy {
  inFlight(upstream: string): InFlightCount;
  /**
   * Stops listening, closes idle and long-lived connections, lets plain HTTP requests in flight finish for up
   * to `timeoutMs`, then closes what is left (how a proxy worker stops).
   */
  stop(timeoutMs: number): Promise<void>;
}
