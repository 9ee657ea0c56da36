// /api/v1/auth/sessions and /api/v1/auth/tokens: a user's own sessions and API tokens.

import { type HttpApp, Type } from '@homeport/core';
import { AccountsError } from '../errors.js';
import type { ApiTokenRecord, SessionRecord } from '../store/repositories.js';
import { type RouteDeps, signedInUser } from './deps.js';
import { ApiToken, ErrorBody, IdParams, NewApiToken, NoContent, Session } from './schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();

function toSessionView(session: SessionRecord, currentId: string | undefined) {
  return {
    id: session.id,
    createdAt: session.createdAt,
    expiresAt: iso(session.expiresAt),
    lastSeenAt: session.lastSeenAt,
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

function toTokenView(token: ApiTokenRecord) {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt,
    lastUsedAt: token.lastUsedAt,
    expiresAt: token.expiresAt === null ? null : iso(token.expiresAt),
  };
}

export function registerSelfRoutes(app: HttpApp, { service, guards }: RouteDeps): void {
  const tags = ['auth'];
  const preHandler = guards.requireUser;

  app.get(
    '/auth/sessions',
    {
      preHandler,
      schema: {
        tags,
        summary: 'My sessions',
        response: { 200: Type.Object({ sessions: Type.Array(Session) }), 401: ErrorBody },
      },
    },
    async (request) => {
      const user = signedInUser(guards, request);
      const current = request.principal?.kind === 'user' ? request.principal.sessionId : undefined;
      return {
        sessions: (await service.listSessions(user.id)).map((session) => toSessionView(session, current)),
      };
    },
  );

  app.delete(
    '/auth/sessions/:id',
    {
      preHandler,
      schema: {
        tags,
        summary: 'End one of my sessions',
        params: IdParams,
        response: { 204: NoContent, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.revokeSession(signedInUser(guards, request).id, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/tokens',
    {
      preHandler,
      schema: {
        tags,
        summary: 'My API tokens',
        response: { 200: Type.Object({ tokens: Type.Array(ApiToken) }), 401: ErrorBody },
      },
    },
    async (request) => ({
      tokens: (await service.listApiTokens(signedInUser(guards, request).id)).map(toTokenView),
    }),
  );

  app.post(
    '/auth/tokens',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Create an API token (its value is shown only in this response)',
        body: NewApiToken,
        response: { 201: Type.Object({ token: ApiToken, value: Type.String() }), 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.kind === 'user' && principal.via === 'api_token') {
        // A leaked token must not be able to mint itself successors.
        throw new AccountsError(
          'forbidden',
          'Create API tokens from a signed-in session, not with another token',
        );
      }
      const { record, value } = await service.createApiToken(signedInUser(guards, request).id, request.body);
      return reply.status(201).send({ token: toTokenView(record), value });
    },
  );

  app.delete(
    '/auth/tokens/:id',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Revoke one of my API tokens',
        params: IdParams,
        response: { 204: NoContent, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.revokeApiToken(signedInUser(guards, request).id, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
