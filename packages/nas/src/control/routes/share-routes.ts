// Routes of files in the browser on the control plane: the browser's access to an export, share links
// (create, list, revoke) and their public opening, which needs no account.

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { NasError } from '../../errors.js';
import type { NasService } from '../service.js';
import {
  BrowserAccess,
  CreatedShare,
  ErrorBody,
  ExportParams,
  Share,
  ShareAccess,
  ShareOpenRequest,
  ShareParams,
  ShareRequest,
} from './schemas.js';

/** Openings per client address and minute, below the API's general limit: each one stores a credential. */
export const SHARE_OPENS_PER_MINUTE = 30;

function principalOf(request: FastifyRequest) {
  const principal = request.principal;
  if (!principal) throw new NasError('unauthorized', 'Sign in first');
  return principal;
}

export function registerShareRoutes(app: HttpApp, service: NasService, auth: AuthGuards): void {
  app.post(
    '/exports/:exportId/browser-access',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['files'],
        summary:
          "Short-lived (15 min) access to an export for the browser's files page: the agent's URL and a bearer token for it",
        params: ExportParams,
        response: {
          200: BrowserAccess,
          401: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.issueBrowserAccess(principalOf(request), request.params.exportId);
    },
  );

  app.post(
    '/exports/:exportId/shares',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['files'],
        summary:
          'Create a share link to a file or folder of the export (admins, and members with read-write access); the answer holds its URL, shown this once',
        params: ExportParams,
        body: ShareRequest,
        response: {
          201: CreatedShare,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const created = await service.createShare(principalOf(request), request.params.exportId, request.body);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/shares',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['files'],
        summary: "The signed-in user's share links, newest first; admins see everyone's with ?all=1",
        querystring: Type.Object(
          { all: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ shares: Type.Array(Share) }), 401: ErrorBody },
      },
    },
    async (request) => ({
      shares: await service.listShares(principalOf(request), request.query.all === '1'),
    }),
  );

  app.delete(
    '/shares/:shareId',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['files'],
        summary:
          'Revoke a share link (its creator or an admin): it stops opening at once, and the access it gave is revoked',
        params: ShareParams,
        response: { 204: Type.Null(), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.revokeShare(principalOf(request), request.params.shareId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/public/shares/:shareId/open',
    {
      // No session: whoever holds the link's secret (from the URL's fragment) may open it.
      config: { rateLimit: { max: SHARE_OPENS_PER_MINUTE, timeWindow: 60_000 } },
      schema: {
        tags: ['files'],
        summary:
          "Open a share link (no account): the link's secret and password, if it has one, for a short-lived access to the shared item. 404 for any link that cannot be opened; 401 share_password_required / share_password_wrong; 429 after 5 wrong passwords in 15 minutes",
        params: ShareParams,
        body: ShareOpenRequest,
        response: {
          200: ShareAccess,
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.openShare(request.params.shareId, request.body, request.ip);
    },
  );
}
