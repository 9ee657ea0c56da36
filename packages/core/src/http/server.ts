// Fastify factory with Homeport's hardening: body caps, slow-client timeouts, rate limits, security headers,
// CORS allowlist, one error mapper, schemas required on API routes, OpenAPI, metrics and /health.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { CoreError, HomeportError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { PageOrigins } from '../module.js';
import type { DurationSeries } from '../request-durations.js';
import type { KvStore } from '../store/kv.js';
import { bodyWithoutCoercion } from './body-validation.js';
import {
  type ConnectionGuard,
  type ConnectionLimits,
  defaultConnectionLimits,
  guardConnections,
} from './connection-guard.js';
import { mapError } from './error-mapper.js';
import { createHostAllowlist } from './host-allowlist.js';
import { lazySerializers, lazyValidators } from './lazy-compilers.js';
import { type Readiness, registerOperationalRoutes } from './operational-routes.js';
import { isTrustedBrowserOrigin } from './origin.js';
import { lazyRequestLogger } from './request-logger.js';
import { apiSecurityHeaders, cspOrigin, securityHeaders } from './security-headers.js';
import { createSharedRequestCounts, rateLimitStoreOf } from './shared-rate-limit.js';
import { fastifyTrustProxy, proxyPeerMatcher, type TrustProxy } from './trust-proxy.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Private to the auth guards (the accounts module): what they found for this request, so a second
     * guard or handler asking gets the same answer. A declared slot, because a WeakMap keyed by request cost
     * a write barrier and garbage-collector work on every request.
     */
    authState: unknown;
  }
}

/** Whether a route is part of the API, by the path it was registered with (never the raw request URL). */
const isApiRoute = (url: string | undefined): boolean => url?.startsWith('/api/') === true;

/**
 * The app every module registers on. Its logger type is Fastify's base logger, not pino's: a request's
 * logger is made on first use (request-logger.ts) and has only the level methods, `level` and `child`.
 */
export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  version: string;
  /** Default JSON body cap in bytes; a route may set its own `bodyLimit`. */
  bodyLimit?: number;
  corsOrigins?: readonly string[];
  /**
   * Per client IP and window, on every /api route that does not opt out (`config: { rateLimit: false }`).
   * With `shared` (the KV store), counted across the replicas sharing it (see shared-rate-limit.ts);
   * otherwise in this process.
   */
  rateLimit?: { max: number; windowMs: number; shared?: KvStore | undefined };
  /** Host names besides the public URL's and loopback names (DNS-rebinding defence); `*.example.org` works. */
  allowedHosts?: readonly string[];
  /** Bearer token for /metrics; without one, /metrics answers loopback clients only. */
  metricsToken?: string | undefined;
  /** Fields modules add to /health. */
  healthDetails?: () => Record<string, unknown>;
  /** /ready answers 503 until this says ready (the store answers). */
  readiness?: () => Promise<Readiness>;
  /**
   * Proxies whose X-Forwarded-For entries are believed (see trust-proxy.ts): a hop count or their addresses.
   * `true` means one hop — never "every hop", which let the client pick its address.
   */
  trustProxy?: TrustProxy | boolean;
  /** Open-connection caps (default: from the open-file limit, see connection-guard.ts); `false`: none. */
  connectionLimits?: ConnectionLimits | false;
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Whether HSTS is sent (TLS here, or a TLS proxy in front per the public URL). */
  https?: boolean;
  accessLog?: boolean;
  /** External URL, for same-origin checks behind a proxy. */
  publicUrl?: string | undefined;
  /** /health answers 503 while this returns true. */
  isDraining?: () => boolean;
  /**
   * Called for GET/HEAD requests outside /api that matched no route (the SPA's client-side routes);
   * returns true when it answered. Otherwise the JSON 404 goes out.
   */
  fallback?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  /** Slow-client limits (ms): whole headers, whole request. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxHeaderSize?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Builds the HTTP app; register module routes on it, then `listen`.
 *
 * @example
 *   const app = await createHttpServer({ log, metrics, version: '0.1.0' });
 *   app.get('/api/v1/things', { schema: { response: { 200: ThingList } } }, handler);
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpApp> {
  const bodyLimit = options.bodyLimit ?? 1_048_576;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  // Node requires headersTimeout <= requestTimeout: the headers are part of the request.
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout);
  const maxHeaderSize = options.maxHeaderSize ?? 16_384;
  const accessLog = options.accessLog ?? true;
  const connectionLimits = options.connectionLimits ?? defaultConnectionLimits();
  let connectionGuard: ConnectionGuard | undefined;
  const secure = options.https ?? Boolean(options.tls);
  // Rebuilt only when the agents' origins change; every page answer sends the current one.
  let pageHeaders = securityHeaders(secure);
  let pageOriginList: readonly string[] = [];
  const pageOrigins: PageOrigins = {
    set(origins) {
      const next = [...new Set(origins.flatMap((origin) => cspOrigin(origin) ?? []))].sort();
      if (next.join(' ') === pageOriginList.join(' ')) return;
      pageOriginList = next;
      pageHeaders = securityHeaders(secure, next);
    },
    get current() {
      return pageOriginList;
    },
  };
  const apiHeaders = apiSecurityHeaders(options.https ?? Boolean(options.tls));
  const allowed: ReadonlySet<string> = new Set(options.corsOrigins ?? []);
  const hosts = createHostAllowlist({ publicUrl: options.publicUrl, extra: options.allowedHosts ?? [] });

  // Typed as Fastify's base logger: request loggers are made lazily and offer only that (see HttpApp).
  const baseLog: FastifyBaseLogger = options.log;
  const app = Fastify({
    loggerInstance: baseLog,
    // Our onResponse hook writes one access line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit,
    trustProxy: fastifyTrustProxy(options.trustProxy),
    // Each route's schemas are compiled on its first request, not here (start-up time, issue 15).
    schemaController: {
      compilersFactory: {
        buildValidator: lazyValidators(bodyWithoutCoercion()),
        buildSerializer: lazySerializers(),
      },
    },
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // In-flight requests finish on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    serverFactory: (handler) => {
      // Node checks the two timeouts every connectionsCheckingInterval (30 s by default): check each second.
      const serverOptions = {
        maxHeaderSize,
        headersTimeout,
        requestTimeout,
        keepAliveTimeout: 5000,
        connectionsCheckingInterval: 1000,
      };
      const server = options.tls
        ? https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key }, handler)
        : http.createServer(serverOptions, handler);
      if (connectionLimits !== false) {
        connectionGuard = guardConnections(server, {
          limits: connectionLimits,
          log: options.log,
          isProxyPeer: proxyPeerMatcher(options.trustProxy),
          name: 'control plane',
        });
      }
      return server as http.Server; // https.Server is an http.Server with TLS underneath
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The API speaks JSON only; a text/plain body would otherwise reach schemas as a string.
  app.removeContentTypeParser('text/plain');
  // Declared up front so every request object has the same shape; the auth guards fill it in.
  app.decorate('pageOrigins', pageOrigins);
  app.decorateRequest('principal', null);
  app.decorateRequest('routeUrl', '');
  app.decorateRequest('authState', null);

  app.addHook('onRoute', (route) => {
    const api = isApiRoute(route.url);
    if (api && route.method !== 'HEAD' && !route.schema?.response) {
      throw new Error(`route ${String(route.method)} ${route.url} has no response schema`);
    }
    // The rate limit is attached to API routes only, decided here once per route (the plugin reads this).
    if (!api) route.config = { ...route.config, rateLimit: false };
  });

  // The duration series of each route, method and status, found through maps keyed by the route's registered
  // path (the same string object on every request, its hash computed once), the method (Node's parser hands
  // out one string per method) and the status number: building `method status route` per request cost a
  // string concatenation and hashing a new string. Bounded by routes × methods × statuses.
  const seriesByRoute = new Map<string, Map<string, Map<number, DurationSeries>>>();
  const observeDuration = (method: string, route: string, status: number, seconds: number): void => {
    let byMethod = seriesByRoute.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      seriesByRoute.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (series === undefined) {
      series = options.metrics.httpDuration.series(method, route, String(status));
      byStatus.set(status, series);
    }
    series.observe(seconds);
  };

  // One hook per phase, in callback style: every request passes here, so no promise per hook.
  const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
  // Every decision below uses the matched route (`routeOptions`), never the raw URL: `/%61pi/…` and an
  // absolute-form target (`POST http://host/api/…`) reach the same handler as `/api/…`.
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions;
    request.routeUrl = route.url ?? '';
    const api = isApiRoute(route.url);
    reply.headers(api ? apiHeaders : pageHeaders);
    reply.header('x-request-id', request.id);
    if (!hosts.allows(request.host)) {
      reply.header('connection', 'close');
      done(
        new CoreError(
          'host_not_allowed',
          'This server does not answer to that host name; set HOMEPORT_PUBLIC_URL or HOMEPORT_ALLOWED_HOSTS',
        ),
      );
      return;
    }
    // Refuse an over-declared body before reading a byte of it; close so the client stops sending.
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > (route.bodyLimit ?? bodyLimit)) {
      reply.header('connection', 'close');
      done(new CoreError('body_too_large', 'Request body is larger than this route accepts'));
      return;
    }
    // CSRF: a browser mutation must come from our own origin or the CORS allowlist. Bearer requests carry
    // no ambient credential and are exempt; non-browser clients send no Origin and pass.
    if (
      UNSAFE.has(request.method) &&
      request.headers.authorization === undefined &&
      api &&
      !isTrustedBrowserOrigin(request, options.publicUrl, allowed)
    ) {
      done(
        new CoreError(
          'csrf_rejected',
          'Cross-origin request refused: it does not come from an allowed origin',
        ),
      );
      return;
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    // A connection that carried a signed-in request is closed after anonymous ones when the cap is reached.
    if (request.principal) connectionGuard?.markAuthenticated(request.raw.socket);
    observeDuration(
      request.method,
      request.routeUrl || 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    if (accessLog) {
      request.log.info(
        {
          method: request.method,
          // The query string is left out: it can carry one-time secrets (an OIDC callback's code and state).
          url: request.url.split('?', 1)[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
    }
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = mapError(error);
    // A refusal we chose (busy, rate limited) is one line without a stack; a stack is for a fault.
    if (error instanceof HomeportError && error.kind === 'unavailable')
      request.log.warn({ code: mapped.code, status: mapped.status }, mapped.message);
    else if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds));
    // RFC 9110 §11.6.1: a 401 names the scheme to retry with; API clients (betterNAS's too) use bearer tokens.
    if (mapped.status === 401) reply.header('www-authenticate', 'Bearer realm="homeport"');
    const body = { error: { code: mapped.code, message: mapped.message, ...(mapped.details ?? {}) } };
    return reply.status(mapped.status).send(body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const fallback = options.fallback;
    if (
      fallback &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !isApiRoute(requestPath(request.url))
    ) {
      if (await fallback(request, reply)) return reply;
    }
    return reply.status(404).send({
      error: { code: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` },
    });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Homeport API', version: options.version },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'homeport_session' },
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Session token, API token or static client token',
          },
        },
      },
    },
  });

  if (allowed.size > 0) {
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
    });
  }

  if (options.rateLimit && options.rateLimit.max > 0) {
    const { shared, windowMs } = options.rateLimit;
    const counts = shared && createSharedRequestCounts({ kv: shared, windowMs, log: options.log });
    // Stopped with the server, so its last counts are written while the store is still open.
    if (counts) app.addHook('onClose', () => counts.close());
    await app.register(rateLimit, {
      global: true,
      max: options.rateLimit.max,
      timeWindow: windowMs,
      ...(counts ? { store: rateLimitStoreOf(counts) } : {}),
      keyGenerator: (request) => request.ip,
      errorResponseBuilder: (_request, context) =>
        new CoreError('rate_limited', `Too many requests; retry in ${context.after}`, {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }),
    });
  }

  registerOperationalRoutes(app, {
    version: options.version,
    metrics: options.metrics,
    isDraining: options.isDraining,
    metricsToken: options.metricsToken,
    healthDetails: options.healthDetails,
    readiness: options.readiness,
  });
  return app;
}

/**
 * The decoded path of a request URL, as the router sees it: the path of an absolute-form target, with
 * percent-escapes decoded (`/%61pi/x` → `/api/x`). For decisions about requests no route matched.
 */
export function requestPath(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://request.invalid').pathname;
  } catch {
    return url; // not a URL at all; nothing to normalise
  }
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // a malformed escape stays as sent
  }
}
