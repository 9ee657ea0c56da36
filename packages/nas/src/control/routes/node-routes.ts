// Routes the agent calls: register, heartbeat, export inventory, key generations, revoked credentials
// (node-token auth), with their own per-IP rate budget so client traffic cannot push a node offline.

import type { HttpApp } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import { deriveMountPath } from '../../mount-path.js';
import type { NasService, NodeCaller } from '../service.js';
import type { ExportInput } from '../store/repositories.js';
import {
  ErrorBody,
  NasNode,
  NodeExportsRequest,
  NodeHeartbeatRequest,
  NodeKeys,
  NodeParams,
  NodeRegistrationRequest,
  Revocations,
  StorageExport,
} from './schemas.js';

/** Headers the agent reads; betterNAS's node-token header is kept for its agents. */
export const NODE_TOKEN_HEADERS = ['x-betternas-node-token', 'x-homeport-node-token'] as const;
export const REVOCATIONS_HEADER = 'x-homeport-revocations';
export const KEY_ID_HEADER = 'x-homeport-dav-key-id';

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

const callerOf = (request: FastifyRequest): NodeCaller => ({ bearer: bearerToken(request), ip: request.ip });

/** Fills in mount paths the agent left out (betterNAS made it optional), unique within the node. */
type ReportedExport = Omit<ExportInput, 'mountPath' | 'freeBytes' | 'usedBytes'> & {
  mountPath?: string | undefined;
  freeBytes?: number | null | undefined;
  usedBytes?: number | null | undefined;
};

/**
 * Fills in what betterNAS's agents leave out: mount paths (optional there), unique within the node, and
 * free and used space (Homeport's additions; unknown when not sent).
 */
function withDefaults(inputs: readonly ReportedExport[]): ExportInput[] {
  const taken = new Set(inputs.flatMap((input) => (input.mountPath ? [input.mountPath] : [])));
  return inputs.map((input) => {
    const space = { freeBytes: input.freeBytes ?? null, usedBytes: input.usedBytes ?? null };
    if (input.mountPath) return { ...input, ...space, mountPath: input.mountPath };
    const label = input.label || input.path.split('/').filter(Boolean).pop() || 'export';
    return { ...input, ...space, mountPath: deriveMountPath(label, taken) };
  });
}

export function registerNodeRoutes(app: HttpApp, service: NasService): void {
  const tags = ['nodes'];
  // Out of the per-address API limit: the service budgets node requests after checking the token (per node
  // when it is valid, per address when it is not), so anonymous traffic cannot spend a node's budget.
  const config = { rateLimit: false as const };

  app.post(
    '/api/v1/nodes/register',
    {
      config,
      schema: {
        tags,
        summary:
          'Register a new node (bootstrap token) or re-register one (its node token, or an admin re-enrolment token); a new node token comes in X-BetterNAS-Node-Token',
        body: NodeRegistrationRequest,
        response: { 200: NasNode, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const { node, token } = await service.registerNode(callerOf(request), request.body);
      if (token !== undefined) for (const header of NODE_TOKEN_HEADERS) reply.header(header, token);
      reply.header('cache-control', 'no-store');
      return node;
    },
  );

  app.post(
    '/api/v1/nodes/:nodeId/heartbeat',
    {
      config,
      schema: {
        tags,
        summary:
          'Heartbeat, optionally with the space of its exports; X-Homeport-Revocations and X-Homeport-Dav-Key-Id tell the agent when to fetch revocations and keys',
        params: NodeParams,
        body: NodeHeartbeatRequest,
        response: { 204: { type: 'null', description: 'Heartbeat accepted' }, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const { revocationVersion, keyId } = await service.heartbeat(
        request.params.nodeId,
        callerOf(request),
        request.body,
      );
      reply.header(REVOCATIONS_HEADER, String(revocationVersion));
      reply.header(KEY_ID_HEADER, String(keyId));
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/api/v1/nodes/:nodeId/exports',
    {
      config,
      schema: {
        tags,
        summary:
          "Replace the node's export inventory (kept paths keep their ids; credentials of removed or moved exports are revoked)",
        params: NodeParams,
        body: NodeExportsRequest,
        response: { 200: { type: 'array', items: StorageExport }, 401: ErrorBody },
      },
    },
    async (request) =>
      service.syncExports(request.params.nodeId, callerOf(request), withDefaults(request.body.exports)),
  );

  app.get(
    '/api/v1/nodes/:nodeId/keys',
    {
      config,
      schema: {
        tags,
        summary: 'Key generations the node verifies mount credentials with, and the longest lifetime issued',
        params: NodeParams,
        response: { 200: NodeKeys, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.nodeKeys(request.params.nodeId, callerOf(request));
    },
  );

  app.get(
    '/api/v1/nodes/:nodeId/revocations',
    {
      config,
      schema: {
        tags,
        summary: "Ids (usernames) of this node's revoked, unexpired mount credentials",
        params: NodeParams,
        response: { 200: Revocations, 401: ErrorBody },
      },
    },
    async (request) => service.revokedForNode(request.params.nodeId, callerOf(request)),
  );
}
