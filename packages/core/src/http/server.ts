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
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { CoreError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { mapError } from './error-mapper.js';
import { isTrustedBrowserOrigin } from './origin.js';
import { securityHeaders } from './security-headers.js';

export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  version: string;
  /** Default JSON body cap in bytes; a route may set its own `bodyLimit`. */
  bodyLimit?: number;
  corsOrigins?: readonly string[];
  rateLimit?: { max: number; windowMs: number };
  trustProxy?: boolean;
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
  const headers = securityHeaders(options.https ?? Boolean(options.tls));
  const allowed: ReadonlySet<string> = new Set(options.corsOrigins ?? []);

  const app = Fastify({
    loggerInstance: options.log,
    // Our onResponse hook writes one access line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
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
      return server as http.Server; // https.Server is an http.Server with TLS underneath
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // The API speaks JSON only; a text/plain body would otherwise reach schemas as a string.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.method !== 'HEAD' && !route.schema?.response) {
      throw new Error(`route ${String(route.method)} ${route.url} has no response schema`);
    }
  });

  // prom-client hashes the label object on every observe(); a child per method/route/status is looked up
  // once and kept (routes are a fixed set, so the map stays small).
  const durationByLabels = new Map<string, { observe(seconds: number): void }>();
  const observeDuration = (method: string, route: string, status: number, seconds: number): void => {
    const key = `${method} ${status} ${route}`;
    let child = durationByLabels.get(key);
    if (!child) {
      child = options.metrics.httpDuration.labels(method, route, String(status));
      durationByLabels.set(key, child);
    }
    child.observe(seconds);
  };

  // One hook per phase, in callback style: every request passes here, so no promise per hook.
  const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers);
    reply.header('x-request-id', request.id);
    // Refuse an over-declared body before reading a byte of it; close so the client stops sending.
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > (request.routeOptions.bodyLimit ?? bodyLimit)) {
      reply.header('connection', 'close');
      done(new CoreError('body_too_large', 'too_large', 'Request body is larger than this route accepts'));
      return;
    }
    // CSRF: a browser mutation must come from our own origin or the CORS allowlist. Bearer requests carry
    // no ambient credential and are exempt; non-browser clients send no Origin and pass.
    if (
      UNSAFE.has(request.method) &&
      request.headers.authorization === undefined &&
      request.url.startsWith('/api/') &&
      !isTrustedBrowserOrigin(request, options.publicUrl, allowed)
    ) {
      done(
        new CoreError(
          'csrf_rejected',
          'forbidden',
          'Cross-origin request refused: it does not come from an allowed origin',
        ),
      );
      return;
    }
    done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    observeDuration(
      request.method,
      request.routeOptions.url ?? 'unmatched',
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
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds));
    const body = { error: { code: mapped.code, message: mapped.message, ...(mapped.details ?? {}) } };
    return reply.status(mapped.status).send(body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const fallback = options.fallback;
    if (
      fallback &&
      (request.method === 'GET' || request.method === 'HEAD') &&
      !request.url.startsWith('/api/')
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
    await app.register(rateLimit, {
      global: true,
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.windowMs,
      allowList: (request) => !request.url.startsWith('/api/'),
      errorResponseBuilder: (_request, context) =>
        new CoreError('rate_limited', 'rate_limited', `Too many requests; retry in ${context.after}`, {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }),
    });
  }

  registerOperationalRoutes(app, options);
  return app;
}

function registerOperationalRoutes(app: HttpApp, options: HttpServerOptions): void {
  const hide = { hide: true };
  app.get('/health', { schema: hide }, async (_request, reply) => {
    if (options.isDraining?.()) return reply.status(503).type('text/plain').send('shutting down');
    return reply.type('text/plain').send('ok');
  });
  app.get('/version', { schema: hide }, async () => ({
    name: 'homeport',
    version: options.version,
    node: process.version,
  }));
  app.get('/metrics', { schema: hide }, async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
  app.get(
    '/api/v1/openapi.json',
    { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } },
    // The OpenAPI document is a plain JSON object; its TS type lacks the index signature the schema implies.
    async () => app.swagger() as unknown as Record<string, unknown>,
  );
}
