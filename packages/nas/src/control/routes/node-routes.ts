// Routes the agent calls: register, heartbeat, export inventory, key generations, revoked credentials
// (node-token auth), with their own per-IP rate budget so client traffic cannot push a node offline.

import type { HttpApp } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import {
  AGENT_HEADER,
  EXPORT_ROOTS_HEADER,
  MANAGED_EXPORTS_HEADER,
  parseExportRoots,
} from '../../agent-protocol.js';
import type { NasService, NodeCaller } from '../service.js';
import type { AgentKind, ExportInput } from '../store/repositories.js';
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
import { trimFields } from './trim.js';

/** Headers the agent reads; betterNAS's node-token header is kept for its agents. */
export const NODE_TOKEN_HEADERS = ['x-betternas-node-token', 'x-homeport-node-token'] as const;
export const REVOCATIONS_HEADER = 'x-homeport-revocations';
export const KEY_ID_HEADER = 'x-homeport-dav-key-id';
/** Origins of Homeport's pages, space-separated: the agent allows CORS for these only (files in the browser). */
export const ALLOWED_ORIGINS_HEADER = 'x-homeport-allowed-origins';

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

const callerOf = (request: FastifyRequest): NodeCaller => ({ bearer: bearerToken(request), ip: request.ip });

/** Free and used space are Homeport's additions to betterNAS's inventory: unknown when not sent. */
function withSpace(
  inputs: readonly (Omit<ExportInput, 'freeBytes' | 'usedBytes'> & {
    freeBytes?: number | null | undefined;
    usedBytes?: number | null | undefined;
  })[],
): ExportInput[] {
  return inputs.map((input) => ({
    ...input,
    freeBytes: input.freeBytes ?? null,
    usedBytes: input.usedBytes ?? null,
  }));
}

/** Runs before schema validation, so a blank field is an empty one and the schema refuses it. */
async function trimRegistration(request: FastifyRequest): Promise<void> {
  trimFields(request.body, ['machineId', 'displayName', 'agentVersion', 'directAddress', 'relayAddress']);
}

async function trimInventory(request: FastifyRequest): Promise<void> {
  const body = request.body;
  const exports =
    typeof body === 'object' && body !== null ? (body as { exports?: unknown }).exports : undefined;
  // The folder path stays as sent (a name may end in a space); label and mount path are trimmed.
  if (Array.isArray(exports)) for (const item of exports) trimFields(item, ['label', 'mountPath']);
}

/** Homeport's agent names itself at registration; any other agent speaks betterNAS's protocol. */
const agentKindOf = (request: FastifyRequest): AgentKind =>
  request.headers[AGENT_HEADER] === undefined ? 'betternas' : 'homeport';

export interface NodeRoutesOptions {
  /** Origins whose pages may call the agents directly (read per answer: known only once the server listens). */
  allowedOrigins(): readonly string[];
}

export function registerNodeRoutes(
  app: HttpApp,
  service: NasService,
  options: NodeRoutesOptions = { allowedOrigins: () => [] },
): void {
  const tags = ['nodes'];
  // Out of the per-address API limit: the service budgets node requests after checking the token (per node
  // when it is valid, per address when it is not), so anonymous traffic cannot spend a node's budget.
  const config = { rateLimit: false as const };

  app.post(
    '/nodes/register',
    {
      config,
      preValidation: trimRegistration,
      schema: {
        tags,
        summary:
          'Register a new node (bootstrap token) or re-register one (its node token, or an admin re-enrolment token); a new node token comes in X-BetterNAS-Node-Token. Homeport agents send X-Homeport-Agent; without it the node is a betterNAS agent',
        body: NodeRegistrationRequest,
        response: { 200: NasNode, 400: ErrorBody, 401: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const input = { ...request.body, agentKind: agentKindOf(request) };
      const { node, token } = await service.registerNode(callerOf(request), input);
      if (token !== undefined) for (const header of NODE_TOKEN_HEADERS) reply.header(header, token);
      reply.header('cache-control', 'no-store');
      return node;
    },
  );

  app.post(
    '/nodes/:nodeId/heartbeat',
    {
      config,
      schema: {
        tags,
        summary:
          'Heartbeat, optionally with the space of its exports; X-Homeport-Revocations and X-Homeport-Dav-Key-Id tell the agent when to fetch revocations and keys, X-Homeport-Allowed-Origins which browser origins may call it, X-Homeport-Managed-Exports (Homeport agents) the version of the exports added from the UI',
        params: NodeParams,
        body: NodeHeartbeatRequest,
        response: {
          204: { type: 'null', description: 'Heartbeat accepted' },
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { revocationVersion, keyId, managedVersion } = await service.heartbeat(
        request.params.nodeId,
        callerOf(request),
        request.body,
      );
      reply.header(REVOCATIONS_HEADER, String(revocationVersion));
      reply.header(KEY_ID_HEADER, String(keyId));
      reply.header(ALLOWED_ORIGINS_HEADER, options.allowedOrigins().join(' '));
      if (managedVersion !== undefined) reply.header(MANAGED_EXPORTS_HEADER, managedVersion);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/nodes/:nodeId/exports',
    {
      config,
      preValidation: trimInventory,
      schema: {
        tags,
        summary:
          "Replace the node's export inventory (kept paths keep their ids; credentials of removed or moved exports are revoked); X-Homeport-Allowed-Origins names the browser origins that may call the agent",
        params: NodeParams,
        body: NodeExportsRequest,
        response: {
          200: { type: 'array', items: StorageExport },
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const synced = await service.syncExports(
        request.params.nodeId,
        callerOf(request),
        withSpace(request.body.exports),
      );
      // A Homeport agent names the roots admins may add exports in (empty: none); others send nothing.
      const roots = request.headers[EXPORT_ROOTS_HEADER];
      if (typeof roots === 'string' && request.headers[AGENT_HEADER] !== undefined)
        await service.recordExportRoots(request.params.nodeId, parseExportRoots(roots));
      // A header, not a field: the body is betterNAS's bare array.
      reply.header(ALLOWED_ORIGINS_HEADER, options.allowedOrigins().join(' '));
      return synced;
    },
  );

  app.get(
    '/nodes/:nodeId/keys',
    {
      config,
      schema: {
        tags,
        summary: 'Key generations the node verifies mount credentials with, and the longest lifetime issued',
        params: NodeParams,
        response: { 200: NodeKeys, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.nodeKeys(request.params.nodeId, callerOf(request));
    },
  );

  app.get(
    '/nodes/:nodeId/revocations',
    {
      config,
      schema: {
        tags,
        summary: "Ids (usernames) of this node's revoked, unexpired mount credentials",
        params: NodeParams,
        response: { 200: Revocations, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => service.revokedForNode(request.params.nodeId, callerOf(request)),
  );
}
