// /health, /version, /metrics and the OpenAPI document: routes every Homeport serves outside the modules.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CoreError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { isLoopbackAddress } from './bind-guard.js';
import type { HttpApp } from './server.js';

export interface OperationalRoutesOptions {
  version: string;
  metrics: Metrics;
  isDraining?: (() => boolean) | undefined;
  /** HOMEPORT_METRICS_TOKEN: /metrics wants `Authorization: Bearer <token>`; without it, loopback only. */
  metricsToken?: string | undefined;
  /** What the modules add to /health (the NAS module: Nextcloud, for betterNAS's app). */
  healthDetails?: (() => Record<string, unknown>) | undefined;
  /** Whether this replica can serve: its store answers (KV quorum). /ready is 503 until it does. */
  readiness?: (() => Promise<Readiness>) | undefined;
  clock?: (() => number) | undefined;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Whole seconds, `2026-12-01T17:23:37Z`: the form betterNAS's clients parse. Formatting a date costs more
 * than the rest of /health (which load balancers and betterNAS poll), so the text is made once per second.
 */
function wholeSecondsClock(): (epochMs: number) => string {
  let second = Number.NaN;
  let text = '';
  return (epochMs) => {
    const now = Math.floor(epochMs / 1000);
    if (now !== second) {
      second = now;
      text = new Date(now * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    return text;
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Headers a reverse proxy adds (besides any `X-Forwarded-*`) when it relays a request. */
const PROXY_HEADERS = [
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
];

/**
 * Whether a request came straight from this machine. Decided on the socket, never on X-Forwarded-For; and a
 * request that carries any header a proxy adds came through a proxy (which connects from loopback for
 * everyone), so it is not local either. A same-host proxy that adds no header at all cannot be told apart
 * from a local client: that is what HOMEPORT_METRICS_TOKEN is for.
 */
export function isDirectLoopbackRequest(request: FastifyRequest): boolean {
  const address = request.socket.remoteAddress;
  if (address === undefined || !isLoopbackAddress(address)) return false;
  const headers = request.headers;
  if (PROXY_HEADERS.some((name) => headers[name] !== undefined)) return false;
  return !Object.keys(headers).some((name) => name.startsWith('x-forwarded-'));
}

/** Builds the /metrics access check once: a constant-time token compare, or loopback only. */
export function metricsAccess(token: string | undefined): (request: FastifyRequest) => boolean {
  if (token === undefined) return isDirectLoopbackRequest;
  const expected = digest(token);
  return (request) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    // Comparing digests keeps the compare constant-time whatever the length of what was sent.
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
  };
}

export function registerOperationalRoutes(app: HttpApp, options: OperationalRoutesOptions): void {
  const hide = { hide: true };
  const mayScrape = metricsAccess(options.metricsToken);
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const rfc3339 = wholeSecondsClock();
  // betterNAS's shape (its Nextcloud app and stack check parse it), with Homeport's own fields added.
  app.get('/health', { schema: hide }, async (_request, reply) => {
    const draining = options.isDraining?.() ?? false;
    const now = clock();
    reply.header('cache-control', 'no-store');
    return reply.status(draining ? 503 : 200).send({
      service: 'control-plane',
      status: draining ? 'shutting-down' : 'ok',
      timestamp: rfc3339(now),
      uptimeSeconds: Math.floor((now - startedAt) / 1000),
      ...options.healthDetails?.(),
      name: 'homeport',
      version: options.version,
    });
  });
  // Separate from /health (the process lives): /ready says whether to send it traffic.
  app.get('/ready', { schema: hide }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (options.isDraining?.())
      return reply.status(503).send({ status: 'not-ready', reason: 'shutting down' });
    const readiness = (await options.readiness?.()) ?? { ready: true };
    if (readiness.ready) return reply.send({ status: 'ready' });
    return reply.status(503).send({ status: 'not-ready', reason: readiness.reason });
  });
  app.get('/version', { schema: hide }, async () => ({
    service: 'control-plane',
    version: options.version,
    apiVersion: 'v1',
    name: 'homeport',
    node: process.version,
  }));
  app.get('/metrics', { schema: hide }, async (request, reply) => {
    if (!mayScrape(request)) {
      throw new CoreError(
        options.metricsToken === undefined ? 'metrics_forbidden' : 'metrics_unauthorized',
        options.metricsToken === undefined
          ? '/metrics answers on loopback only; set HOMEPORT_METRICS_TOKEN to scrape it from elsewhere'
          : '/metrics needs Authorization: Bearer <HOMEPORT_METRICS_TOKEN>',
      );
    }
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.get(
    '/api/v1/openapi.json',
    { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } },
    // The OpenAPI document is a plain JSON object; its TS type lacks the index signature the schema implies.
    async () => app.swagger() as unknown as Record<string, unknown>,
  );
}
