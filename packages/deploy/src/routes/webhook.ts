// The registry webhook, the one deploy route without a session: Docker distribution notification envelopes
// carrying manifest pushes, authenticated by the webhook's own token (compared in constant time), each push
// handled once (event id + digest), answered at once and worked on afterwards, rate-limited per address.

import { createHash, timingSafeEqual } from 'node:crypto';
import { type HttpApp, type Logger, Type } from '@homeport/core';
import { DeployError } from '../errors.js';
import type { PushEvent } from '../service.js';
import type { WebhookEventRepository } from '../store/repositories.js';
import { ErrorBody } from './schemas.js';

export const ENVELOPE_TYPE = 'application/vnd.docker.distribution.events.v1+json';
/** A registry batches a few events per envelope; anything near this is not a registry. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;
/** An event id + digest is remembered this long (registries retry for minutes, not days). */
const DEDUPE_TTL_MS = 24 * 3_600_000;

export interface WebhookOptions {
  /** The token registries send as `Authorization: Bearer <token>`. */
  token: () => string;
  /** Parses an envelope into manifest pushes with a tag (registry/notifications.ts). */
  parse(body: unknown): (PushEvent & { id: string })[];
  claims: WebhookEventRepository;
  onPush(event: PushEvent): Promise<unknown>;
  log: Logger;
  clock: () => number;
  /** Requests per minute per address (default 120). */
  perMinute?: number;
}

const digestOf = (value: string) => createHash('sha256').update(value).digest();

/** Constant time in the token's length too: both sides are hashed first. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined || expected.length === 0) return false;
  return timingSafeEqual(digestOf(given), digestOf(expected));
}

export function registerWebhookRoute(app: HttpApp, options: WebhookOptions): void {
  // Registries send their own media type; plain application/json (curl, tests) takes Fastify's parser.
  app.addContentTypeParser(
    ENVELOPE_TYPE,
    { parseAs: 'string', bodyLimit: MAX_ENVELOPE_BYTES },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new DeployError('deploy_bad_request', 'the body is not JSON'), undefined);
      }
    },
  );

  app.post(
    '/webhooks/registry',
    {
      // onRequest, before the body is read: an anonymous sender neither gets a megabyte parsed nor learns
      // whether its body would pass (the admin routes guard the same way).
      onRequest: async (request) => {
        const header = request.headers.authorization;
        const given =
          typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
        if (!tokenMatches(given, options.token()))
          throw new DeployError(
            'deploy_unauthorized',
            'a registry webhook needs the webhook token as a Bearer token',
          );
      },
      bodyLimit: MAX_ENVELOPE_BYTES,
      config: { rateLimit: { max: options.perMinute ?? 120, timeWindow: 60_000 } },
      schema: {
        tags: ['deploy'],
        summary:
          'Registry notifications (Docker distribution envelope); Authorization: Bearer <webhook token>. 202 at once; pushes of matching tags are deployed afterwards',
        response: {
          202: Type.Object({ accepted: Type.Integer() }),
          400: ErrorBody,
          401: ErrorBody,
          413: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const events = options.parse(request.body);
      reply.code(202);
      const work = async () => {
        for (const event of events) {
          const fresh = await options.claims.claim(
            `${event.id}:${event.digest}`,
            new Date(options.clock()).toISOString(),
            DEDUPE_TTL_MS,
          );
          if (!fresh) continue;
          await options.onPush(event);
        }
      };
      void work().catch((err: unknown) =>
        options.log.warn({ err }, 'registry webhook: handling pushes failed'),
      );
      return { accepted: events.length };
    },
  );
}
