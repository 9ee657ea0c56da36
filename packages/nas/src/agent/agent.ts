// The NAS agent: serves its exports over WebDAV, registers with the control plane, syncs its exports,
// heartbeats, and follows revocations. While the control plane is down it retries with backoff and keeps
// serving the credentials it can verify with the key it saved.

import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '@homeport/core';
import { createAgentServer, type DavRequestHandler } from './agent-server.js';
import { openAgentState } from './agent-state.js';
import { type ControlClient, ControlPlaneError, createControlClient } from './control-client.js';
import { createCredentialGate } from './credential-gate.js';
import { type AgentExport, capacityOf } from './export-specs.js';

export interface AgentOptions {
  controlPlaneUrl: string;
  /** Needed for the first registration, and again if the control plane forgets this node. */
  bootstrapToken: string | undefined;
  exports: readonly AgentExport[];
  /** WebDAV handler per export, keyed by mount path. */
  handlers: ReadonlyMap<string, DavRequestHandler>;
  host: string;
  port: number;
  /** Address clients mount from; default `http://<host>:<port>`. */
  advertiseUrl: string | undefined;
  displayName: string | undefined;
  machineId: string | undefined;
  heartbeatMs: number;
  stateDir: string;
  version: string;
  log: Logger;
  clock?: () => number;
  fetch?: typeof fetch;
}

export interface Agent {
  /** Listens, then registers in the background; resolves with the WebDAV base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
  /** Resolves once registered and synced (tests, the embedded agent's start-up message). */
  registered(): Promise<string>;
  readonly machineId: string;
}

const MAX_BACKOFF_MS = 60_000;

export function createAgent(options: AgentOptions): Agent {
  const { log } = options;
  const state = openAgentState(options.stateDir, options.machineId);
  const gate = createCredentialGate(options.clock);
  const saved = state.read();
  if (saved.nodeId && saved.davKey && saved.controlPlaneUrl === options.controlPlaneUrl) {
    gate.setKey(saved.nodeId, Buffer.from(saved.davKey, 'base64url'));
  }
  const server = createAgentServer({ exports: options.exports, handlers: options.handlers, gate, log });
  const client: ControlClient = createControlClient({
    baseUrl: options.controlPlaneUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let revocationVersion = -1;
  let baseUrl = '';
  let resolveRegistered: (nodeId: string) => void = () => undefined;
  const registeredPromise = new Promise<string>((resolve) => {
    resolveRegistered = resolve;
  });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const register = async (): Promise<void> => {
    const current = state.read();
    const sameControlPlane = current.controlPlaneUrl === options.controlPlaneUrl;
    const tokens = [sameControlPlane ? current.nodeToken : undefined, options.bootstrapToken].filter(
      (token): token is string => token !== undefined,
    );
    if (tokens.length === 0)
      throw new ControlPlaneError('no bootstrap token configured (HOMEPORT_NODE_BOOTSTRAP_TOKEN)', undefined);
    let lastError: unknown;
    for (const token of tokens) {
      try {
        const node = await client.register(token, {
          machineId: current.machineId,
          displayName: options.displayName ?? hostname(),
          agentVersion: options.version,
          directAddress: options.advertiseUrl ?? baseUrl,
        });
        state.write({ machineId: current.machineId, ...node, controlPlaneUrl: options.controlPlaneUrl });
        gate.setKey(node.nodeId, Buffer.from(node.davKey, 'base64url'));
        log.info({ nodeId: node.nodeId, machineId: current.machineId }, 'registered with the control plane');
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const syncExports = async (): Promise<void> => {
    const { nodeId, nodeToken } = state.read();
    if (!nodeId || !nodeToken) throw new ControlPlaneError('not registered', undefined);
    const reports = await Promise.all(
      options.exports.map(async (item) => ({
        label: item.label,
        path: item.root,
        mountPath: item.mountPath,
        protocols: ['webdav'] as ['webdav'],
        capacityBytes: await capacityOf(item.root),
        tags: [],
      })),
    );
    await client.syncExports(nodeId, nodeToken, reports);
  };

  const heartbeat = async (): Promise<void> => {
    const { nodeId, nodeToken } = state.read();
    if (!nodeId || !nodeToken) throw new ControlPlaneError('not registered', undefined);
    const version = await client.heartbeat(nodeId, nodeToken, 'online');
    if (version !== undefined && version !== revocationVersion) {
      const list = await client.revocations(nodeId, nodeToken);
      gate.setRevoked(list.usernames);
      revocationVersion = list.version;
      log.info({ revoked: list.usernames.length, version: list.version }, 'revocations updated');
    }
  };

  const loop = async (): Promise<void> => {
    let needsRegistration = true;
    let failures = 0;
    while (!stopped) {
      try {
        if (needsRegistration) {
          await register();
          await syncExports();
          needsRegistration = false;
          resolveRegistered(state.read().nodeId as string);
        }
        await heartbeat();
        failures = 0;
        await sleep(options.heartbeatMs);
      } catch (error) {
        if (stopped) return;
        // 401: the control plane no longer knows our token (rotated, or its database was reset).
        if (error instanceof ControlPlaneError && error.status === 401) needsRegistration = true;
        failures += 1;
        const delay =
          Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 6)) * (0.75 + Math.random() / 2);
        log.warn(
          { err: (error as Error).message, retryInMs: Math.round(delay) },
          'control plane unreachable; retrying',
        );
        await sleep(delay);
      }
    }
  };

  return {
    get machineId() {
      return state.read().machineId;
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => resolve());
      });
      const address = server.address() as AddressInfo; // a TCP server listening on host:port
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      baseUrl = `http://${host}:${address.port}`;
      log.info(
        { url: baseUrl, exports: options.exports.map((item) => item.mountPath) },
        'webdav agent listening',
      );
      void loop();
      return baseUrl;
    },
    registered: () => registeredPromise,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
