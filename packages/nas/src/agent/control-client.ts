// The agent's calls to the control plane (betterNAS's node routes), each bounded by a timeout.

export interface RegisteredNode {
  nodeId: string;
  nodeToken: string;
  davKey: string;
}

export interface ExportReport {
  label: string;
  path: string;
  mountPath: string;
  protocols: ['webdav'];
  capacityBytes: number | null;
  tags: string[];
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

  const call = async (method: string, path: string, token: string, body: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(`${options.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
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
      const nodeToken = response.headers.get('x-betternas-node-token');
      const davKey = response.headers.get('x-homeport-dav-key');
      if (!nodeToken || !davKey)
        throw new ControlPlaneError('registration answered without a node token or key', response.status);
      return { nodeId: node.id, nodeToken, davKey };
    },

    async syncExports(nodeId: string, token: string, exports: readonly ExportReport[]): Promise<void> {
      await call('PUT', `/api/v1/nodes/${encodeURIComponent(nodeId)}/exports`, token, { exports });
    },

    /** Returns the revocation version the control plane announced. */
    async heartbeat(
      nodeId: string,
      token: string,
      status: 'online' | 'degraded',
    ): Promise<number | undefined> {
      const response = await call('POST', `/api/v1/nodes/${encodeURIComponent(nodeId)}/heartbeat`, token, {
        nodeId,
        status,
        lastSeenAt: new Date().toISOString(),
      });
      const version = Number(response.headers.get('x-homeport-revocations'));
      return Number.isSafeInteger(version) ? version : undefined;
    },

    async revocations(nodeId: string, token: string): Promise<{ version: number; usernames: string[] }> {
      const response = await call(
        'GET',
        `/api/v1/nodes/${encodeURIComponent(nodeId)}/revocations`,
        token,
        undefined,
      );
      return (await response.json()) as { version: number; usernames: string[] }; // the route's response schema
    },
  };
}

export type ControlClient = ReturnType<typeof createControlClient>;
