// The agent's calls to the control plane (betterNAS's node routes), each bounded by a timeout.

import {
  AGENT_HEADER,
  AGENT_PROTOCOL,
  EXPORT_ROOTS_HEADER,
  encodeExportRoots,
  MANAGED_EXPORTS_HEADER,
} from '../agent-protocol.js';
import type { ManagedExportSpec } from './managed-exports.js';

export interface RegisteredNode {
  nodeId: string;
  /** Only when a new token was issued (first registration, re-enrolment); a re-registration keeps it. */
  nodeToken: string | undefined;
}

export interface NodeKeys {
  nodeId: string;
  keys: { id: number; key: string; notAfter: number | null }[];
  maxTtlSeconds: number;
}

export interface SyncedExport {
  id: string;
  path: string;
  mountPath: string;
}

export interface HeartbeatAnswer {
  revocationVersion: number | undefined;
  keyId: number | undefined;
  /** Undefined when the control plane sent none (an older one): keep what we had. */
  allowedOrigins: string[] | undefined;
  /** Version of the node's managed exports; undefined when the control plane sent none (an older one). */
  managedVersion: string | undefined;
}

/** Header of the sync and heartbeat answers naming the origins of the control plane's pages, space-separated. */
export const ALLOWED_ORIGINS_HEADER = 'x-homeport-allowed-origins';

/**
 * The origins in the header, each checked to be a bare `http(s)://host[:port]` origin: anything else is
 * dropped rather than echoed later as Access-Control-Allow-Origin.
 */
export function parseAllowedOrigins(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  return value.split(/\s+/).filter((item) => {
    if (item === '') return false;
    try {
      const url = new URL(item);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item;
    } catch {
      return false; // not a URL: dropped
    }
  });
}

export interface ExportReport {
  label: string;
  path: string;
  mountPath: string;
  protocols: ['webdav'];
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
  tags: string[];
}

/** Space of a synced export, sent with heartbeats so free space stays current between syncs. */
export interface ExportSpaceReport {
  exportId: string;
  capacityBytes: number | null;
  freeBytes: number | null;
  usedBytes: number | null;
}

export class ControlPlaneError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export interface ControlClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function createControlClient(options: ControlClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  const call = async (
    method: string,
    path: string,
    token: string,
    body: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(`${options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          [AGENT_HEADER]: AGENT_PROTOCOL,
          ...extraHeaders,
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ControlPlaneError(`${method} ${path}: ${(error as Error).message}`, undefined);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new ControlPlaneError(
        `${method} ${path}: ${response.status} ${text.slice(0, 200)}`,
        response.status,
      );
    }
    return response;
  };

  return {
    async register(
      token: string,
      body: { machineId: string; displayName: string; agentVersion: string; directAddress: string | null },
    ): Promise<RegisteredNode> {
      const response = await call('POST', '/api/v1/nodes/register', token, { ...body, relayAddress: null });
      const node = (await response.json()) as { id: string }; // NasNode; only the id is used here
      return { nodeId: node.id, nodeToken: response.headers.get('x-betternas-node-token') ?? undefined };
    },

    async keys(nodeId: string, token: string): Promise<NodeKeys> {
      const response = await call(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(nodeId)}/keys`,
        token,
        undefined,
      );
      return (await response.json()) as NodeKeys; // the route's response schema
    },

    /** Returns the export ids the control plane gave (or kept for) each folder. */
    async syncExports(
      nodeId: string,
      token: string,
      exports: readonly ExportReport[],
      exportRoots: readonly string[] = [],
    ): Promise<{ exports: SyncedExport[]; allowedOrigins: string[] | undefined }> {
      const response = await call(
        'PUT',
        `/api/v1/nodes/${encodeURIComponent(nodeId)}/exports`,
        token,
        { exports },
        { [EXPORT_ROOTS_HEADER]: encodeExportRoots(exportRoots) },
      );
      return {
        exports: (await response.json()) as SyncedExport[], // StorageExport[]; these fields are used here
        // In a header: the body is betterNAS's bare array, which betterNAS agents read too.
        allowedOrigins: parseAllowedOrigins(response.headers.get(ALLOWED_ORIGINS_HEADER)),
      };
    },

    /** Returns the revocation version and the current key generation the control plane announced. */
    async heartbeat(
      nodeId: string,
      token: string,
      status: 'online' | 'degraded',
      space: readonly ExportSpaceReport[] = [],
    ): Promise<HeartbeatAnswer> {
      const response = await call('POST', `/api/v1/nodes/${encodeURIComponent(nodeId)}/heartbeat`, token, {
        nodeId,
        status,
        lastSeenAt: new Date().toISOString(),
        ...(space.length > 0 ? { exports: space } : {}),
      });
      const number = (header: string) => {
        const value = Number(response.headers.get(header) ?? Number.NaN);
        return Number.isSafeInteger(value) ? value : undefined;
      };
      return {
        revocationVersion: number('x-homeport-revocations'),
        keyId: number('x-homeport-dav-key-id'),
        allowedOrigins: parseAllowedOrigins(response.headers.get(ALLOWED_ORIGINS_HEADER)),
        managedVersion: response.headers.get(MANAGED_EXPORTS_HEADER) ?? undefined,
      };
    },

    /** The exports an admin added for this node (the agent checks each folder itself before serving it). */
    async managedExports(
      nodeId: string,
      token: string,
    ): Promise<{ version: string; exports: ManagedExportSpec[] }> {
      const response = await call(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(nodeId)}/desired-exports`,
        token,
        undefined,
      );
      return (await response.json()) as { version: string; exports: ManagedExportSpec[] }; // the route's schema
    },

    async revocations(nodeId: string, token: string): Promise<{ version: number; ids: string[] }> {
      const response = await call(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(nodeId)}/revocations`,
        token,
        undefined,
      );
      return (await response.json()) as { version: number; ids: string[] }; // the route's response schema
    },
  };
}

export type ControlClient = ReturnType<typeof createControlClient>;
