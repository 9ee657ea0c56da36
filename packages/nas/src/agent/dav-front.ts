// The part of the agent that serves WebDAV, seen from the agent's control-plane loop: it listens, takes the
// gate's state whenever the agent learns something new, and stops. In process (one event loop) or as a pool
// of worker processes (workers/worker-pool.ts).

import type { ConnectionLimits, Logger } from '@homeport/core';
import { createAgentServer, type DavRequestHandler, setServerExports } from './agent-server.js';
import { closeServer } from './close-server.js';
import { createCredentialGate } from './credential-gate.js';
import type { AgentExport } from './export-specs.js';
import { applyGateState, type GateState } from './gate-state.js';

export interface DavFront {
  /** Listens on host:port (0 picks a free port); resolves with the port it got. */
  listen(port: number, host: string): Promise<{ address: string; family: string; port: number }>;
  /**
   * Makes `state` the gate's state. Resolves once every request served from then on is decided by it (in
   * every worker); a revocation is reported applied only after that.
   */
  apply(state: GateState): Promise<void>;
  /** Stops accepting, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
  /**
   * Serves `exports` from now on, on the same port: requests in flight finish with what they started with;
   * resolves once every request served from then on (in every worker) sees the new set. Absent: fixed set.
   */
  setExports?(exports: readonly AgentExport[]): Promise<void>;
}

/** What the front tells the agent back. */
export interface DavFrontHooks {
  /** A credential named a newer key than the gate has: the key was rotated since the last heartbeat. */
  onUnknownKey(keyId: number): void;
}

export type DavFrontFactory = (hooks: DavFrontHooks) => DavFront;

export interface InProcessFrontOptions {
  exports: readonly AgentExport[];
  /** WebDAV handler per export, keyed by mount path. */
  handlers: ReadonlyMap<string, DavRequestHandler>;
  /** Makes the handler of an export the set gains (managed exports); without it the set is fixed. */
  handlerFor?: (item: AgentExport) => DavRequestHandler;
  log: Logger;
  /** The agent's state dir: the files API keeps its state there (without it, that API answers 501). */
  stateDir?: string;
  clock?: () => number;
  connectionLimits?: ConnectionLimits;
}

/** The WebDAV server in the agent's own process (HOMEPORT_DAV_WORKERS=1). */
export function inProcessFront(options: InProcessFrontOptions): DavFrontFactory {
  let handlers = options.handlers;
  /** The handlers of a new set: those of kept exports reused (their caches stay warm), new ones made. */
  const handlersFor = (exports: readonly AgentExport[]): ReadonlyMap<string, DavRequestHandler> => {
    const next = new Map<string, DavRequestHandler>();
    for (const item of exports) {
      const kept = handlers.get(item.mountPath);
      next.set(
        item.mountPath,
        kept && handlerRoots.get(item.mountPath) === item.root ? kept : handlerFor(item),
      );
    }
    handlers = next;
    handlerRoots = new Map(exports.map((item) => [item.mountPath, item.root]));
    return next;
  };
  let handlerRoots = new Map(options.exports.map((item) => [item.mountPath, item.root]));
  const handlerFor = (item: AgentExport): DavRequestHandler => {
    if (!options.handlerFor) throw new Error('no handler factory');
    return options.handlerFor(item);
  };
  return (hooks) => {
    const gate = createCredentialGate({
      ...(options.clock ? { clock: options.clock } : {}),
      onUnknownKey: (keyId) => hooks.onUnknownKey(keyId),
    });
    const server = createAgentServer({
      exports: options.exports,
      handlers: options.handlers,
      gate,
      log: options.log,
      ...(options.connectionLimits ? { connectionLimits: options.connectionLimits } : {}),
      ...(options.stateDir !== undefined ? { files: { stateDir: options.stateDir } } : {}),
    });
    return {
      listen: (port, host) =>
        new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            server.off('error', reject);
            const address = server.address();
            // A TCP server listening on host:port always has an AddressInfo.
            if (address === null || typeof address === 'string') throw new Error('no TCP address');
            resolve(address);
          });
        }),
      apply(state) {
        applyGateState(gate, state);
        return Promise.resolve();
      },
      close: () => closeServer(server),
      ...(options.handlerFor
        ? {
            setExports(exports: readonly AgentExport[]) {
              setServerExports(server, exports, handlersFor(exports));
              return Promise.resolve();
            },
          }
        : {}),
    };
  };
}
