// A small node agent that talks to the control plane the way betterNAS's agent does (shared/reference/
// betternas-compat.md, written from the facts, not from its code): bootstrap registration without
// Homeport's header, the node token from X-BetterNAS-Node-Token kept in a state file, one export sync, ONE
// heartbeat, and WebDAV behind betterNAS's credential check. The WebDAV itself is Homeport's own handler,
// driven standalone, so what is under test is the control plane and the credential, not a DAV server.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { openDatabase } from '@homeport/core';
import { freePort, tempDir } from '@homeport/testkit';
// The DAV handler is not on @homeport/nas's public surface (only the agent uses it); its folder's index is
// the handler's own surface, and a test agent may reach it.
import {
  createDavHandler,
  type DavHandler,
  openDavState,
} from '../../../../packages/nas/src/agent/dav/index.js';
import {
  checkBetterNasCredential,
  NODE_TOKEN_HEADER,
  parseBasic,
  type RefusalReason,
  rfc3339Utc,
  sha256Hex,
  type WireNasNode,
  type WireStorageExport,
} from './betternas-wire.js';

export interface BetterNasAgentOptions {
  controlPlaneUrl: string;
  bootstrapToken: string;
  /** BETTERNAS_DAV_AUTH_SECRET, shared with the control plane. */
  secret: string;
  exports: readonly { label: string; path: string }[];
  /** Keep between restarts: the machine id and node token live here (default: a new temp dir). */
  stateDir?: string;
  /** Listen here (restarts reuse it); default a free port. */
  port?: number;
}

export interface AgentExportView {
  id: string;
  label: string;
  path: string;
  mountPath: string;
}

export interface BetterNasAgent {
  /** `http://127.0.0.1:<port>`, the directAddress it registered. */
  url: string;
  port: number;
  stateDir: string;
  machineId: string;
  nodeId: string;
  /** How this start registered: the bootstrap token (first start) or the saved node token. */
  registeredWith: 'bootstrap' | 'node-token';
  /** Whether this start's registration answered with a token in X-BetterNAS-Node-Token. */
  receivedToken: boolean;
  exports: readonly AgentExportView[];
  /** Heartbeats sent by this start (betterNAS's agent sends exactly one). */
  heartbeats: number;
  /** Why each refused request was refused, in order. */
  refusals: RefusalReason[];
  stop(): Promise<void>;
}

interface SavedState {
  machineId: string;
  nodeToken?: string;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);

/** betterNAS's mount paths: `/dav/` for a single export, `/dav/exports/<sha256(path) hex>/` for several. */
export const betterNasMountPath = (path: string, exportCount: number): string =>
  exportCount === 1 ? '/dav/' : `/dav/exports/${sha256Hex(path)}/`;

function loadState(file: string): SavedState {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { machineId: `betternas-test-${sha256Hex(`${file}${Date.now()}${Math.random()}`).slice(0, 16)}` };
  }
}

async function controlPlane(
  base: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function failure(what: string, response: Response): Promise<Error> {
  return new Error(`betterNAS test agent: ${what} answered ${response.status}: ${await response.text()}`);
}

function refuse(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    connection: 'close',
    ...headers,
  });
  response.end(text);
}

/**
 * Starts the agent: listens, registers, syncs its exports, sends one heartbeat; resolves when all that
 * succeeded (and rejects with the control plane's answer otherwise).
 */
export async function startBetterNasAgent(options: BetterNasAgentOptions): Promise<BetterNasAgent> {
  const stateDir = options.stateDir ?? tempDir('betternas-agent-');
  mkdirSync(stateDir, { recursive: true });
  const stateFile = join(stateDir, 'betternas-agent.json');
  const saved = loadState(stateFile);
  writeFileSync(stateFile, JSON.stringify(saved));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;

  const mounts = options.exports.map((item) => ({
    ...item,
    mountPath: betterNasMountPath(item.path, options.exports.length),
  }));
  const db = openDatabase(join(stateDir, 'dav.db'));
  const state = openDavState(db);
  const handlers = new Map<string, DavHandler>(
    mounts.map((item) => [item.mountPath, createDavHandler({ root: item.path, state })]),
  );
  const refusals: RefusalReason[] = [];
  let nodeId = '';

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const target = request.url ?? '/';
    const path = target.split('?')[0] ?? '/';
    let mount = mounts.find((item) => path.startsWith(item.mountPath));
    if (!mount) {
      mount = mounts.find((item) => path === item.mountPath.slice(0, -1));
      if (mount) request.url = `${mount.mountPath}${target.slice(path.length)}`;
    }
    if (!mount || nodeId === '') return refuse(response, 404, 'no export here');
    const basic = parseBasic(request.headers.authorization);
    const verdict = basic
      ? checkBetterNasCredential(basic.username, basic.password, {
          secret: options.secret,
          nodeId,
          mountPath: mount.mountPath,
          nowMs: Date.now(),
          write: !READ_METHODS.has(request.method ?? 'GET'),
        })
      : ({ ok: false, reason: 'missing' } as const);
    if (!verdict.ok) {
      refusals.push(verdict.reason);
      return refuse(response, 401, 'unauthorized', { 'www-authenticate': 'Basic realm="betterNAS"' });
    }
    const handler = handlers.get(mount.mountPath);
    if (!handler || !basic) return refuse(response, 404, 'no export here');
    await handler(request, response, {
      prefix: mount.mountPath,
      readonly: verdict.readonly,
      principal: basic.username,
      mayBreakLocks: false,
    });
  };

  const server = http.createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error('betterNAS test agent: request failed', error);
      if (!response.headersSent) refuse(response, 500, 'internal error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const stop = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    db.close();
  };

  try {
    const registeredWith = saved.nodeToken === undefined ? 'bootstrap' : 'node-token';
    const registration = await controlPlane(
      options.controlPlaneUrl,
      'POST',
      '/api/v1/nodes/register',
      saved.nodeToken ?? options.bootstrapToken,
      {
        machineId: saved.machineId,
        displayName: 'betterNAS test agent',
        agentVersion: '0.1.0-test',
        directAddress: url,
        relayAddress: null,
      },
    );
    if (registration.status !== 200) throw await failure('registration', registration);
    const node = (await registration.json()) as WireNasNode;
    const issued = registration.headers.get(NODE_TOKEN_HEADER);
    if (issued) {
      saved.nodeToken = issued;
      writeFileSync(stateFile, JSON.stringify(saved));
    }
    const nodeToken = saved.nodeToken;
    if (nodeToken === undefined) throw new Error('betterNAS test agent: registered without a node token');

    const sync = await controlPlane(
      options.controlPlaneUrl,
      'PUT',
      `/api/v1/nodes/${encodeURIComponent(node.id)}/exports`,
      nodeToken,
      {
        exports: mounts.map((item) => ({
          label: item.label,
          path: item.path,
          mountPath: item.mountPath,
          protocols: ['webdav'],
          capacityBytes: null,
          tags: [],
        })),
      },
    );
    if (sync.status !== 200) throw await failure('export sync', sync);
    const synced = (await sync.json()) as WireStorageExport[];
    const exports = mounts.map((item) => {
      const found = synced.find((entry) => entry.mountPath === item.mountPath);
      if (!found) throw new Error(`betterNAS test agent: the sync answer lacks ${item.mountPath}`);
      return { id: found.id, label: item.label, path: item.path, mountPath: item.mountPath };
    });

    const heartbeat = await controlPlane(
      options.controlPlaneUrl,
      'POST',
      `/api/v1/nodes/${encodeURIComponent(node.id)}/heartbeat`,
      nodeToken,
      { nodeId: node.id, status: 'online', lastSeenAt: rfc3339Utc(Date.now()) },
    );
    if (heartbeat.status !== 204) throw await failure('heartbeat', heartbeat);
    nodeId = node.id;

    return {
      url,
      port,
      stateDir,
      machineId: saved.machineId,
      nodeId: node.id,
      registeredWith,
      receivedToken: Boolean(issued),
      exports,
      heartbeats: 1,
      refusals,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
