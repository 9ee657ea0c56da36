// The built-in reverse proxy: a route table keyed by Host, swapped atomically, and the server around it.

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { sendErrorPage, writeErrorPageToSocket } from './error-pages.js';
import type { ForwardContext, Target } from './forward-context.js';
import { forwardHttp } from './forward-http.js';
import { forwardUpgrade } from './forward-upgrade.js';
import { normalizeHost } from './hosts.js';
import { createInFlightTable } from './in-flight.js';
import { createProxyMetrics, UNROUTED_STAGE } from './metrics.js';
import { checkDrainTimeout, checkLimits, checkRoute, routeKey } from './route-checks.js';
import type { DrainResult, InProcessProxy, ProxyOptions, ProxyRoute, ProxyRouteStatus } from './types.js';
import { createUpstreamPools, parseUpstream, type Upstream } from './upstreams.js';

interface ActiveRoute {
  route: ProxyRoute;
  upstream: Upstream;
}

type Resolution = { ok: true; target: Target } | { ok: false; status: 400 | 404 | 503; message?: string };

/**
 * Creates the built-in reverse proxy. Routes restored from the store are set before `listen`, so the first
 * request already finds them.
 *
 * @example
 *   const proxy = createProxy({ log, metrics: registry, limits: { maxBodyBytes: 100 << 20, upstreamTimeoutMs: 60_000 } });
 *   for (const r of await store.routes()) proxy.setRoute(r.host, r.route);
 *   await proxy.listen('0.0.0.0', 8080);
 *   proxy.setRoute('app.example.com', { upstream: 'http://127.0.0.1:41002', stage: 'app/production', release: 'r42', color: 'green' });
 *   const { cut } = await proxy.drain('http://127.0.0.1:41001', 30_000); // then stop the blue container
 */
export function createProxy(options: ProxyOptions): InProcessProxy {
  const { log, limits } = options;
  checkLimits(limits);
  const table = new Map<string, ActiveRoute>();
  const maintenance = new Map<string, string>();
  const pools = createUpstreamPools(limits);
  const inFlight = createInFlightTable();
  const metrics = createProxyMetrics(options.metrics);
  const probeToken = options.probeToken === undefined ? undefined : Buffer.from(options.probeToken);
  const isProbe = (req: IncomingMessage): boolean => {
    const given = req.headers['x-homeport-probe'];
    if (probeToken === undefined || typeof given !== 'string') return false;
    const bytes = Buffer.from(given);
    return bytes.length === probeToken.length && timingSafeEqual(bytes, probeToken);
  };
  const trusted = new Set(options.trustForwardedFrom ?? []);
  const trustsForwarded = (address: string | undefined) => address !== undefined && trusted.has(address);
  const ctx: ForwardContext = { log, limits, metrics, inFlight, isProbe, trustsForwarded };

  // The route is read once, synchronously, when a request arrives: a switch is one Map.set, so every request
  // sees the old route or the new one, and one dispatched to the old upstream stays there until it ends.
  function resolve(req: IncomingMessage): Resolution {
    const url = req.url ?? '';
    // Absolute-form targets (`GET http://other/`) would name another authority than Host: refused.
    if (!url.startsWith('/') && !(url === '*' && req.method === 'OPTIONS')) return { ok: false, status: 400 };
    const host = normalizeHost(req.headers.host);
    if (host === null) return { ok: false, status: 400 };
    const message = maintenance.get(host);
    if (message !== undefined) return { ok: false, status: 503, message };
    const active = table.get(host);
    if (active === undefined) return { ok: false, status: 404 };
    return { ok: true, target: { host, route: active.route, upstream: active.upstream } };
  }

  function stageOf(req: IncomingMessage): string {
    const host = normalizeHost(req.headers.host);
    return (host !== null && table.get(host)?.route.stage) || UNROUTED_STAGE;
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const found = resolve(req);
    if (found.ok) {
      forwardHttp(req, res, found.target, ctx);
      return;
    }
    metrics.request(stageOf(req), found.status);
    const pageOptions = found.message === undefined ? {} : { message: found.message };
    sendErrorPage(res, found.status, pageOptions);
  }

  function onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const found = resolve(req);
    if (found.ok) {
      forwardUpgrade(req, socket, head, found.target, ctx);
      return;
    }
    metrics.request(stageOf(req), found.status);
    writeErrorPageToSocket(socket, found.status, found.message);
  }

  const server = createServer({
    headersTimeout: limits.headersTimeoutMs ?? 30_000,
    // No whole-request deadline: uploads may be long. A stalled body is caught by the upstream idle timer.
    requestTimeout: 0,
  });
  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed requests get a bare 400; a reset connection gets nothing (there is no one to answer).
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  function isRouted(origin: string): boolean {
    for (const active of table.values()) if (active.upstream.origin === origin) return true;
    return false;
  }

  async function close(): Promise<void> {
    const closed = new Promise<void>((done) => server.close(() => done()));
    for (const entry of inFlight.all()) entry.close();
    server.closeAllConnections();
    pools.destroyAll();
    if (server.listening) await closed;
  }

  return {
    listen(host, port) {
      return new Promise((resolvePort, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolvePort(typeof address === 'object' && address !== null ? address.port : port);
        });
      });
    },

    close,

    async stop(timeoutMs) {
      if (!server.listening) return close();
      server.close();
      server.closeIdleConnections();
      // WebSocket and SSE connections have no end to wait for: closed at once, as a drain does.
      for (const entry of inFlight.all()) if (entry.kind === 'long') entry.close();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const busy = inFlight.origins().filter((origin) => inFlight.count(origin).http > 0);
        const left = deadline - Date.now();
        if (busy.length === 0 || left <= 0) break;
        await Promise.all(busy.map((origin) => inFlight.waitForHttp(origin, left)));
      }
      await close();
    },

    setRoute(host, route) {
      const key = routeKey(host);
      checkRoute(route);
      const upstream = pools.get(route.upstream);
      const previous = table.get(key);
      const stored: ProxyRoute = { ...route, upstream: upstream.origin };
      if (route.excludePaths !== undefined) stored.excludePaths = [...route.excludePaths];
      table.set(key, { route: stored, upstream });
      log.info(
        {
          host: key,
          upstream: upstream.origin,
          stage: route.stage,
          release: route.release,
          color: route.color,
          previous: previous?.upstream.origin,
        },
        'proxy route set',
      );
      // In effect already: the promise is for callers written against the worker pool too.
      return Promise.resolve();
    },

    removeRoute(host) {
      const key = routeKey(host);
      const removed = table.delete(key);
      if (removed) log.info({ host: key }, 'proxy route removed');
      return Promise.resolve(removed);
    },

    setMaintenance(host, message) {
      const key = routeKey(host);
      if (message === null) maintenance.delete(key);
      else maintenance.set(key, message);
      log.info({ host: key, maintenance: message !== null }, 'proxy maintenance mode');
      return Promise.resolve();
    },

    async drain(upstreamUrl, timeoutMs) {
      checkDrainTimeout(timeoutMs);
      const { origin } = parseUpstream(upstreamUrl);
      if (isRouted(origin))
        log.warn({ upstream: origin }, 'proxy draining an upstream a route still points at');
      inFlight.startDrain(origin);
      try {
        let closedLongLived = 0;
        for (const entry of inFlight.entries(origin)) {
          if (entry.kind !== 'long') continue;
          entry.close();
          closedLongLived++;
        }
        const atStart = inFlight.count(origin).http;
        let cut = 0;
        if (!(await inFlight.waitForHttp(origin, timeoutMs))) {
          for (const entry of inFlight.entries(origin)) {
            if (entry.kind !== 'http') continue;
            entry.close();
            cut++;
          }
        }
        const result: DrainResult = { completed: Math.max(0, atStart - cut), cut, closedLongLived };
        log.info({ upstream: origin, ...result }, 'proxy upstream drained');
        return result;
      } finally {
        inFlight.endDrain(origin);
        // Its idle keep-alive sockets would point at a container about to stop.
        if (!isRouted(origin)) pools.release(origin);
      }
    },

    routes() {
      const out: ProxyRouteStatus[] = [];
      for (const [host, active] of table)
        out.push({ host, ...active.route, maintenance: maintenance.get(host) ?? null });
      return out;
    },

    inFlight(upstreamUrl) {
      return inFlight.count(parseUpstream(upstreamUrl).origin);
    },
  };
}
