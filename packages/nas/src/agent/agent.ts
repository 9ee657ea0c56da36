// The NAS agent: serves its exports over WebDAV, registers with the control plane, syncs its exports,
// heartbeats, and follows revocations. While the control plane is down it retries with backoff and keeps
// serving the credentials it can verify with the key it saved.

import { hostname } from 'node:os';
import { exposedDirMode, type Logger } from '@homeport/core';
import type { DavRequestHandler } from './agent-server.js';
import { type AgentIdentity, openAgentState } from './agent-state.js';
import { type ControlClient, ControlPlaneError, createControlClient } from './control-client.js';
import { type DavFrontFactory, inProcessFront } from './dav-front.js';
import { type AgentExport, spaceOf } from './export-specs.js';
import type { GateState } from './gate-state.js';
import { composeExports, type ManagedExportSpec, managedTag } from './managed-exports.js';

export interface AgentOptions {
  controlPlaneUrl: string;
  /** Needed for the first registration, and again if the control plane forgets this node. */
  bootstrapToken: string | undefined;
  exports: readonly AgentExport[];
  /**
   * Real paths inside which admins may add exports from the UI (HOMEPORT_EXPORT_ROOTS); none: the agent
   * takes no managed exports. The front must then support `setExports`.
   */
  exportRoots?: readonly string[];
  /** WebDAV handler per export, keyed by mount path: served in this process unless `front` is given. */
  handlers?: ReadonlyMap<string, DavRequestHandler>;
  /** Who serves WebDAV (default: `handlers` in this process); workers/worker-pool.ts serves from workers. */
  front?: DavFrontFactory;
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
  /**
   * Reports to the control plane now rather than at the next interval: the embedded agent, when an admin
   * changed its exports (a heartbeat announces the new version).
   */
  nudge(): void;
  readonly machineId: string;
}

const MAX_BACKOFF_MS = 60_000;
/** Fetch keys at most this often when credentials name a key we do not have (a rotation in between). */
const KEY_REFRESH_MIN_MS = 5000;

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, index) => item === b[index]);

export function createAgent(options: AgentOptions): Agent {
  const { log } = options;
  const clock = options.clock ?? Date.now;
  const state = openAgentState(options.stateDir, options.machineId);
  const exposed = exposedDirMode(options.stateDir);
  if (exposed !== undefined) {
    log.warn(
      { stateDir: options.stateDir, mode: `0${exposed.toString(8)}` },
      `agent state dir is open to other users of this machine; its files are 0600, but restrict the folder too: chmod 700 ${options.stateDir}`,
    );
  }
  let lastKeyRefresh = 0;
  const makeFront =
    options.front ??
    inProcessFront({
      exports: options.exports,
      handlers: options.handlers ?? new Map(),
      log,
      clock,
      stateDir: options.stateDir,
    });
  const front = makeFront({
    // A credential signed with a newer key than ours: the key was rotated since our last heartbeat.
    onUnknownKey: () => {
      if (clock() - lastKeyRefresh < KEY_REFRESH_MIN_MS || !state.read().nodeToken) return;
      lastKeyRefresh = clock();
      fetchKeys().catch((error: unknown) =>
        log.warn({ err: (error as Error).message }, 'could not fetch the node keys'),
      );
    },
  });
  const client: ControlClient = createControlClient({
    baseUrl: options.controlPlaneUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let baseUrl = '';
  let resolveRegistered: (nodeId: string) => void = () => undefined;
  const registeredPromise = new Promise<string>((resolve) => {
    resolveRegistered = resolve;
  });

  /** Set by a nudge that came while no sleep was running (a heartbeat in flight): the next sleep is skipped. */
  let nudged = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (nudged) {
        nudged = false;
        resolve();
        return;
      }
      wake = () => {
        wake = undefined;
        resolve();
      };
      timer = setTimeout(() => wake?.(), ms);
    });

  /** What the state file holds, as the gate needs it: keys, the export id of each folder, revoked ids. */
  const gateStateOf = (saved: AgentIdentity): GateState => {
    // Only folders still exported at the same mount path keep their id.
    const exportIds = new Map<string, string>();
    for (const item of served) {
      const known = saved.exportIds?.find(
        (entry) => entry.root === item.root && entry.mountPath === item.mountPath,
      );
      if (known) exportIds.set(item.mountPath, known.id);
    }
    return {
      keys:
        saved.nodeId && saved.davKeys && saved.maxTtlSeconds !== undefined
          ? {
              nodeId: saved.nodeId,
              maxTtlSeconds: saved.maxTtlSeconds,
              keys: saved.davKeys.map((entry) => ({ ...entry, key: Buffer.from(entry.key, 'base64url') })),
            }
          : undefined,
      exportIds,
      revoked: saved.revoked?.ids ?? [],
      allowedOrigins: saved.allowedOrigins ?? [],
    };
  };
  const exportRoots = options.exportRoots ?? [];
  /** Configured exports, then the managed ones that pass the agent's own checks. */
  const compose = (specs: readonly ManagedExportSpec[]): AgentExport[] =>
    exportRoots.length === 0
      ? [...options.exports]
      : composeExports(options.exports, specs, { roots: exportRoots, private: [options.stateDir], log });
  const sameExports = (a: readonly AgentExport[], b: readonly AgentExport[]) =>
    a.length === b.length &&
    a.every((item, index) => {
      const other = b[index];
      return (
        other !== undefined &&
        item.root === other.root &&
        item.label === other.label &&
        item.mountPath === other.mountPath &&
        item.managedId === other.managedId
      );
    });
  /** What is served now: changed only through `serveExports`. */
  let served: AgentExport[] = compose(state.read().managed?.exports ?? []);
  const serveExports = async (next: AgentExport[]): Promise<void> => {
    if (sameExports(next, served)) return;
    if (!front.setExports) throw new Error('this WebDAV front cannot change its exports');
    await front.setExports(next);
    served = next;
    log.info({ exports: served.map((item) => item.mountPath) }, 'exports changed');
  };
  const saved = state.read();
  // Before listening: the first request is already decided by what the agent knew when it stopped.
  // Managed exports saved by the last run are served at once (a control plane down at start keeps them).
  const initialExports =
    sameExports(served, options.exports) || !front.setExports ? Promise.resolve() : front.setExports(served);
  const initialState = initialExports.then(() =>
    saved.controlPlaneUrl === options.controlPlaneUrl ? front.apply(gateStateOf(saved)) : undefined,
  );
  /** Saves the patch, and resolves once the front (every worker) decides by it. */
  const update = async (patch: Partial<AgentIdentity>): Promise<void> => {
    state.write({ ...state.read(), ...patch });
    await front.apply(gateStateOf(state.read()));
  };

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
        const sameNode = sameControlPlane && current.nodeId === node.nodeId;
        // Keys, export ids and revocations of another node (or control plane) mean nothing here.
        state.write({
          machineId: current.machineId,
          ...(sameNode ? current : {}),
          nodeId: node.nodeId,
          nodeToken: node.nodeToken ?? token,
          controlPlaneUrl: options.controlPlaneUrl,
        });
        log.info({ nodeId: node.nodeId, machineId: current.machineId }, 'registered with the control plane');
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const registered = (): { nodeId: string; nodeToken: string } => {
    const { nodeId, nodeToken } = state.read();
    if (!nodeId || !nodeToken) throw new ControlPlaneError('not registered', undefined);
    return { nodeId, nodeToken };
  };

  const fetchKeys = async (): Promise<void> => {
    const { nodeId, nodeToken } = registered();
    const answer = await client.keys(nodeId, nodeToken);
    await update({ davKeys: answer.keys, maxTtlSeconds: answer.maxTtlSeconds });
    log.info({ keyIds: answer.keys.map((entry) => entry.id) }, 'node keys updated');
  };

  /**
   * Fetches the node's managed exports, saves them (served again after a restart), and serves the set the
   * agent's checks let through. Before a sync: an inventory without them would drop their ids and grants.
   */
  const refreshManaged = async (): Promise<void> => {
    if (exportRoots.length === 0) return;
    const { nodeId, nodeToken } = registered();
    const answer = await client.managedExports(nodeId, nodeToken);
    state.write({ ...state.read(), managed: { version: answer.version, exports: answer.exports } });
    await serveExports(compose(answer.exports));
  };

  const syncExports = async (): Promise<void> => {
    const { nodeId, nodeToken } = registered();
    await refreshManaged();
    const reports = await Promise.all(
      served.map(async (item) => ({
        label: item.label,
        path: item.root,
        mountPath: item.mountPath,
        protocols: ['webdav'] as ['webdav'],
        ...(await spaceOf(item.root)),
        tags: item.managedId === undefined ? [] : [managedTag(item.managedId)],
      })),
    );
    const { exports: synced, allowedOrigins } = await client.syncExports(
      nodeId,
      nodeToken,
      reports,
      exportRoots,
    );
    // The sync may have revoked credentials of exports that moved: learn those before serving the new map.
    const list = await client.revocations(nodeId, nodeToken);
    await update({
      ...(allowedOrigins ? { allowedOrigins } : {}),
      revoked: { version: list.version, ids: list.ids },
      exportIds: served.flatMap((item) => {
        const match = synced.find((entry) => entry.path === item.root);
        return match ? [{ root: item.root, mountPath: item.mountPath, id: match.id }] : [];
      }),
    });
  };

  /** Space of each synced export, measured now (one statfs each): free space changes between syncs. */
  const measureSpace = async () => {
    const ids = state.read().exportIds ?? [];
    return Promise.all(ids.map(async (entry) => ({ exportId: entry.id, ...(await spaceOf(entry.root)) })));
  };

  const heartbeat = async (): Promise<void> => {
    const { nodeId, nodeToken } = registered();
    const answer = await client.heartbeat(nodeId, nodeToken, 'online', await measureSpace());
    const keys = state.read().davKeys ?? [];
    if (answer.keyId !== undefined && !keys.some((entry) => entry.id === answer.keyId)) await fetchKeys();
    if (answer.allowedOrigins && !sameList(answer.allowedOrigins, state.read().allowedOrigins ?? []))
      await update({ allowedOrigins: answer.allowedOrigins });
    if (
      exportRoots.length > 0 &&
      answer.managedVersion !== undefined &&
      answer.managedVersion !== state.read().managed?.version
    ) {
      // An admin added, renamed or removed an export: serve the new set, then tell the control plane.
      await syncExports();
    }
    const known = state.read().revoked?.version ?? -1;
    if (answer.revocationVersion !== undefined && answer.revocationVersion !== known) {
      const list = await client.revocations(nodeId, nodeToken);
      await update({ revoked: { version: list.version, ids: list.ids } });
      log.info({ revoked: list.ids.length, version: list.version }, 'revocations updated');
    }
  };

  /**
   * The control plane refused every token we hold: this node was forgotten, or re-enrolled elsewhere (its
   * token and key voided). Credentials it issued can no longer be trusted, revocations no longer arrive:
   * refuse them all until we are registered again.
   */
  const disown = async (): Promise<void> => {
    if ((state.read().davKeys ?? []).length === 0) return;
    await update({ davKeys: [] });
    log.error(
      {},
      'the control plane no longer accepts this node; every mount is refused until the agent is re-enrolled (an admin issues a re-enrolment token)',
    );
  };

  /**
   * 401: the control plane no longer accepts our token (replaced by a re-enrolment); 404: it no longer knows
   * the node (forgotten, or its database was reset). Either way, register again.
   */
  const nodeGone = (error: unknown): boolean =>
    error instanceof ControlPlaneError && (error.status === 401 || error.status === 404);

  const loop = async (): Promise<void> => {
    let needsRegistration = true;
    let needsSync = true;
    let failures = 0;
    while (!stopped) {
      try {
        if (needsRegistration) {
          try {
            await register();
          } catch (error) {
            if (error instanceof ControlPlaneError && error.status === 401) await disown();
            throw error;
          }
          await fetchKeys();
          needsRegistration = false;
          needsSync = true;
        }
        if (needsSync) {
          try {
            await syncExports();
            needsSync = false;
            resolveRegistered(registered().nodeId);
          } catch (error) {
            // A refused inventory must not stop heartbeats: revocations still have to arrive.
            if (!(error instanceof ControlPlaneError) || error.status === undefined || nodeGone(error))
              throw error;
            log.error({ err: error.message }, 'the control plane refused the export list; retrying later');
          }
        }
        await heartbeat();
        failures = 0;
        await sleep(options.heartbeatMs);
      } catch (error) {
        if (stopped) return;
        if (nodeGone(error)) needsRegistration = true;
        failures += 1;
        const delay =
          Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures - 1, 6)) * (0.75 + Math.random() / 2);
        const refused = error instanceof ControlPlaneError && error.status !== undefined;
        log.warn(
          { err: (error as Error).message, retryInMs: Math.round(delay) },
          refused ? 'the control plane refused this agent; retrying' : 'control plane unreachable; retrying',
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
      await initialState;
      const address = await front.listen(options.port, options.host);
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      baseUrl = `http://${host}:${address.port}`;
      log.info({ url: baseUrl, exports: served.map((item) => item.mountPath) }, 'webdav agent listening');
      void loop();
      return baseUrl;
    },
    registered: () => registeredPromise,
    nudge() {
      if (stopped) return;
      if (wake === undefined) {
        nudged = true;
        return;
      }
      if (timer) clearTimeout(timer);
      wake();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await front.close();
    },
  };
}
