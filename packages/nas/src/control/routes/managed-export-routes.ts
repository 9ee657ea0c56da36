// Routes of exports added from the UI: admins list a node's roots and its managed exports, add, rename and
// remove them; the node's agent fetches the wanted list (node token) when a heartbeat announces a new version.

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { NasError } from '../../errors.js';
import type { NasService } from '../service.js';
import { bearerToken } from './node-routes.js';
import { ErrorBody, NodeParams } from './schemas.js';

const ManagedExport = Type.Object({
  id: Type.String(),
  root: Type.String(),
  relativePath: Type.String(),
  label: Type.String(),
  mountPath: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  /** The export the agent serves for it; null until the agent applied it (or when it refused the folder). */
  exportId: Type.Union([Type.String(), Type.Null()]),
});

const ManagedExportList = Type.Object({
  /** Folders (on the node) exports may be added in: the agent's HOMEPORT_EXPORT_ROOTS; empty when unset. */
  roots: Type.Array(Type.String()),
  exports: Type.Array(ManagedExport),
});

const ManagedExportRequest = Type.Object(
  {
    root: Type.String({ minLength: 1, maxLength: 4096 }),
    relativePath: Type.String({ minLength: 1, maxLength: 1024 }),
    label: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

const RenameRequest = Type.Object(
  { label: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

const ManagedParams = Type.Object({
  nodeId: Type.String({ minLength: 1, maxLength: 64 }),
  managedId: Type.String({ minLength: 1, maxLength: 64 }),
});

const DesiredExports = Type.Object({
  version: Type.String(),
  exports: Type.Array(
    Type.Object({
      id: Type.String(),
      root: Type.String(),
      relativePath: Type.String(),
      label: Type.String(),
      mountPath: Type.String(),
    }),
  ),
});

function adminIdOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) throw new NasError('unauthorized', 'Sign in first');
  return principal.kind === 'user' ? principal.userId : principal.kind;
}

export function registerManagedExportRoutes(app: HttpApp, service: NasService, auth: AuthGuards): void {
  const tags = ['exports'];

  app.get(
    '/nodes/:nodeId/managed-exports',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags,
        summary:
          "The node's roots (its agent's HOMEPORT_EXPORT_ROOTS) and the exports added in them from the UI (admin); 409 for a betterNAS agent's node",
        params: NodeParams,
        response: { 200: ManagedExportList, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => service.listManagedExports(request.params.nodeId),
  );

  app.post(
    '/nodes/:nodeId/managed-exports',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags,
        summary:
          'Export a folder inside one of the node’s roots (made if missing; the agent checks it again) under a label (admin)',
        params: NodeParams,
        body: ManagedExportRequest,
        response: {
          201: ManagedExport,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const created = await service.addManagedExport(request.params.nodeId, adminIdOf(request), request.body);
      return reply.status(201).send(created);
    },
  );

  app.patch(
    '/nodes/:nodeId/managed-exports/:managedId',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags,
        summary:
          'Rename an export added from the UI: its id, mount path, grants and credentials stay (admin)',
        params: ManagedParams,
        body: RenameRequest,
        response: {
          200: ManagedExport,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) =>
      service.renameManagedExport(request.params.nodeId, request.params.managedId, request.body.label),
  );

  app.delete(
    '/nodes/:nodeId/managed-exports/:managedId',
    {
      preHandler: auth.requireAdmin,
      schema: {
        tags,
        summary:
          'Stop exporting a folder added from the UI: its credentials end and its grants go; the folder and its files stay on disk (admin)',
        params: ManagedParams,
        response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await service.removeManagedExport(request.params.nodeId, request.params.managedId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/nodes/:nodeId/desired-exports',
    {
      // Node traffic: budgeted by the service after the token check, as the other node routes.
      config: { rateLimit: false as const },
      schema: {
        tags: ['nodes'],
        summary:
          'The exports admins added for this node (node token); the agent checks each folder against its own roots before serving it',
        params: NodeParams,
        response: { 200: DesiredExports, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.desiredExports(request.params.nodeId, { bearer: bearerToken(request), ip: request.ip });
    },
  );
}
