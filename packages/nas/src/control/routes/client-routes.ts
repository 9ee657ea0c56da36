// Routes for people and scripts: nodes, exports, sharing, mount profiles, credential revocation.

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { NasError } from '../../errors.js';
import type { NasService } from '../service.js';
import {
  ActiveCredential,
  CloudProfile,
  CloudProfileRequest,
  CredentialParams,
  EnrolmentToken,
  ErrorBody,
  ExportParams,
  Grant,
  GrantAccessSchema,
  GrantParams,
  MountProfile,
  MountProfileRequest,
  NasNode,
  NasSettings,
  NodeParams,
  OwnCredential,
  StorageExport,
} from './schemas.js';
import { trimFields } from './trim.js';

function principalOf(request: FastifyRequest) {
  const principal = request.principal;
  if (!principal) throw new NasError('unauthorized', 'Sign in first');
  return principal;
}

/** The signed-in person (routes guarded by requireUser). */
function userIdOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  if (principal.kind !== 'user') throw new NasError('unauthorized', 'Sign in first');
  return principal.userId;
}

/** betterNAS trims the ids of a cloud-profile request before checking them; so does Homeport. */
async function trimCloudProfileRequest(request: FastifyRequest): Promise<void> {
  trimFields(request.body, ['userId', 'exportId']);
}

export function registerClientRoutes(app: HttpApp, service: NasService, auth: AuthGuards): void {
  app.get(
    '/nodes',
    {
      preHandler: auth.requireClient,
      schema: {
        tags: ['nodes'],
        summary: 'Nodes (members: those holding exports shared with them)',
        response: { 200: Type.Array(NasNode), 401: ErrorBody },
      },
    },
    async (request) => service.listNodes(principalOf(request)),
  );

  app.post(
    '/nodes/:nodeId/enrolment-token',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['nodes'],
        summary:
          "One-time token (1 h) with which the node's machine registers again, replacing its node token and key (admin)",
        params: NodeParams,
        response: { 200: EnrolmentToken, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.issueEnrolmentToken(request.params.nodeId);
    },
  );

  app.post(
    '/nodes/:nodeId/rotate-key',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['nodes'],
        summary:
          "Rotate the node's credential key: every mount credential issued for it ends (admin); 409 for a betterNAS agent's node, which has no key of its own",
        params: NodeParams,
        response: {
          200: Type.Object({ keyId: Type.Integer(), revoked: Type.Integer() }),
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => service.rotateNodeKey(request.params.nodeId),
  );

  app.delete(
    '/nodes/:nodeId',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['nodes'],
        summary:
          'Forget a node with its exports, grants and credentials; its machine may join afresh (admin)',
        params: NodeParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.removeNode(request.params.nodeId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/exports',
    {
      preHandler: auth.requireClient,
      schema: {
        tags: ['exports'],
        summary: 'Exports (members: those shared with them, with their access)',
        response: { 200: Type.Array(StorageExport), 401: ErrorBody },
      },
    },
    async (request) => service.listExports(principalOf(request)),
  );

  app.get(
    '/exports/:exportId/grants',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['exports'],
        summary: 'Who an export is shared with (admin)',
        params: ExportParams,
        response: { 200: Type.Object({ grants: Type.Array(Grant) }), 404: ErrorBody },
      },
    },
    async (request) => ({ grants: await service.listGrants(request.params.exportId) }),
  );

  app.put(
    '/exports/:exportId/grants/:userId',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['exports'],
        summary:
          'Share an export with a user (by id or username), read-write or read-only, or hide it from them whatever the default access with "none" (admin)',
        params: GrantParams,
        body: Type.Object({ access: GrantAccessSchema }, { additionalProperties: false }),
        response: { 200: Grant, 404: ErrorBody },
      },
    },
    async (request) => service.grant(request.params.exportId, request.params.userId, request.body.access),
  );

  app.delete(
    '/exports/:exportId/grants/:userId',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['exports'],
        summary:
          "Stop sharing (user by id or username); the user's mount credentials for it are revoked (admin)",
        params: GrantParams,
        response: { 204: Type.Null(), 404: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.revokeGrant(request.params.exportId, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/mount-profiles/issue',
    {
      preHandler: auth.requireClient,
      schema: {
        tags: ['mounts'],
        summary: 'Issue a WebDAV mount profile with a short-lived credential',
        body: MountProfileRequest,
        response: { 200: MountProfile, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) =>
      service.issueMountProfile(principalOf(request), request.body.exportId, request.body.readonly),
  );

  app.post(
    '/cloud-profiles/issue',
    {
      preHandler: auth.requireClient,
      schema: {
        tags: ['mounts'],
        summary:
          "Where Nextcloud's betterNAS app shows an export (betterNAS's cloud profile; needs HOMEPORT_NEXTCLOUD_BASE_URL)",
        body: CloudProfileRequest,
        response: { 200: CloudProfile, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
      preValidation: trimCloudProfileRequest,
    },
    async (request) => service.issueCloudProfile(principalOf(request), request.body),
  );

  app.get(
    '/nas/settings',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['exports'],
        summary: 'Storage settings: what members get on exports nobody shared with them (admin)',
        response: { 200: NasSettings, 403: ErrorBody },
      },
    },
    async () => service.defaultAccessSetting(),
  );

  app.put(
    '/nas/settings',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['exports'],
        summary:
          'Change the default access of members (admin); a narrower one revokes the credentials members held under the old one. 409 when HOMEPORT_NAS_DEFAULT_ACCESS pins it',
        body: Type.Object({ defaultAccess: GrantAccessSchema }, { additionalProperties: false }),
        response: { 200: NasSettings, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => service.setDefaultAccess(request.body.defaultAccess),
  );

  app.get(
    '/mount-credentials',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['mounts'],
        summary: 'Mount credentials issued and still valid (admin)',
        response: { 200: Type.Object({ credentials: Type.Array(ActiveCredential) }) },
      },
    },
    async () => ({ credentials: await service.listActiveCredentials() }),
  );

  app.post(
    '/mount-credentials/revoke',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags: ['mounts'],
        summary:
          "Revoke a user's (by id or username) or an export's credentials before they expire (admin); agents learn it at their next heartbeat",
        body: Type.Object(
          {
            userId: Type.Optional(Type.String({ maxLength: 64 })),
            exportId: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ revoked: Type.Integer() }), 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { userId, exportId } = request.body;
      return service.revokeCredentials({ ...(userId ? { userId } : {}), ...(exportId ? { exportId } : {}) });
    },
  );

  app.get(
    '/mount-credentials/mine',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['mounts'],
        summary:
          "The signed-in user's own mount credentials that are still valid (passwords are never shown again)",
        response: { 200: Type.Object({ credentials: Type.Array(OwnCredential) }), 401: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { credentials: await service.listOwnCredentials(userIdOf(request)) };
    },
  );

  app.post(
    '/mount-credentials/mine/revoke',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['mounts'],
        summary:
          "Revoke the signed-in user's own mount credentials: all of them (`{}`) or one export's (`{ exportId }`)",
        body: Type.Object(
          { exportId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ revoked: Type.Integer() }), 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request) => service.revokeOwnCredentials(userIdOf(request), request.body.exportId),
  );

  app.post(
    '/mount-credentials/:username/revoke',
    {
      preHandler: auth.requireUser,
      schema: {
        tags: ['mounts'],
        summary:
          'Revoke one mount credential by its id (its mount-… username): members their own, admins any; agents learn it at their next heartbeat',
        params: CredentialParams,
        response: { 200: Type.Object({ revoked: Type.Integer() }), 404: ErrorBody },
      },
    },
    async (request) => service.revokeCredential(principalOf(request), request.params.username),
  );
}
