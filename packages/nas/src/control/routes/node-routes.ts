// Routes the agent calls: register, heartbeat, export inventory, revoked credentials (node-token auth).

import type { HttpApp } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { deriveMountPath } from '../../mount-path.js';
import type { NasService } from '../service.js';
import type { ExportInput } from '../store/repositories.js';
import {
  ErrorBody,
  NasNode,
  NodeExportsRequest,
  NodeHeartbeatRequest,
  NodeParams,
  NodeRegistrationRequest,
  Revocations,
  StorageExport,
} from './schemas.js';

/** Headers the agent reads; betterNAS's node-token header is kept for its agents. */
export const NODE_TOKEN_HEADERS = ['x-betternas-node-token', 'x-homeport-node-token'] as const;
export const DAV_KEY_HEADER = 'x-homeport-dav-key';
export const REVOCATIONS_HEADER = 'x-homeport-revocations';

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Fills in mount paths the agent left out (betterNAS made it optional), unique within the node. */
function withMountPaths(
  inputs: readonly (Omit<ExportInput, 'mountPath'> & { mountPath?: string | undefined })[],
): ExportInput[] {
  const taken = new Set(inputs.flatMap((input) => (input.mountPath ? [input.mountPath] : [])));
  return inputs.map((input) => {
    if (input.mountPath) return { ...input, mountPath: input.mountPath };
    const label = input.label || input.path.split('/').filter(Boolean).pop() || 'export';
    return { ...input, mountPath: deriveMountPath(label, taken) };
  });
}

export function registerNodeRoutes(app: HttpApp, service: NasService): void {
  const tags = ['nodes'];

  app.post(
    '/api/v1/nodes/register',
    {
      schema: {
        tags,
        summary: 'Register (or re-register) a node; returns a new node token in X-BetterNAS-Node-Token',
        body: NodeRegistrationRequest,
        response: { 200: NasNode, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const { node, token, davKey } = await service.registerNode(bearerToken(request), request.body);
      for (const header of NODE_TOKEN_HEADERS) reply.header(header, token);
      reply.header(DAV_KEY_HEADER, davKey);
      reply.header('cache-control', 'no-store');
      return node;
    },
  );

  app.post(
    '/api/v1/nodes/:nodeId/heartbeat',
    {
      schema: {
        tags,
        summary: 'Heartbeat; the X-Homeport-Revocations header tells the agent when to fetch revocations',
        params: NodeParams,
        body: NodeHeartbeatRequest,
        response: { 204: { type: 'null', description: 'Heartbeat accepted' }, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const { revocationVersion } = await service.heartbeat(
        request.params.nodeId,
        bearerToken(request),
        request.body,
      );
      reply.header(REVOCATIONS_HEADER, String(revocationVersion));
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/v1/nodes/:nodeId/exports',
    {
      schema: {
        tags,
        summary: "Replace the node's export inventory (kept paths keep their ids)",
        params: NodeParams,
        body: NodeExportsRequest,
        response: { 200: { type: 'array', items: StorageExport }, 401: ErrorBody },
      },
    },
    async (request) =>
      service.syncExports(request.params.nodeId, bearerToken(request), withMountPaths(request.body.exports)),
  );

  app.get(
    '/api/v1/nodes/:nodeId/revocations',
    {
      schema: {
        tags,
        summary: "Usernames of this node's revoked, unexpired mount credentials",
        params: NodeParams,
        response: { 200: Revocations, 401: ErrorBody },
      },
    },
    async (request) => service.revokedForNode(request.params.nodeId, bearerToken(request)),
  );
}
