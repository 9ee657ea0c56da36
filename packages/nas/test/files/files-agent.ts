// Test support for the files API: the agent's real HTTP front (agent-server.ts) with the real credential gate,
// WebDAV handler and files dispatch on a free loopback port, keys and origins set as the agent sets them, and
// credentials signed as the control plane signs them. Every log line is kept, so a test can check that no
// token was ever written.

import type { Server } from 'node:http';
import { createLogger, openDatabase } from '@homeport/core';
import { freePort, tempDir } from '@homeport/testkit';
import { createAgentServer } from '../../src/agent/agent-server.js';
import { closeServer } from '../../src/agent/close-server.js';
import { type CredentialGate, createCredentialGate } from '../../src/agent/credential-gate.js';
import { createDavHandler, openDavState } from '../../src/agent/dav/index.js';
import type { WatchOptions } from '../../src/agent/files/watch.js';
import { applyGateState } from '../../src/agent/gate-state.js';
import {
  type CredentialScope,
  nodeDavKey,
  signMountCredential,
} from '../../src/credentials/mount-credential.js';
import { type RawResponse, send } from '../dav/dav-server.js';

export const NODE_ID = 'node_files';
export const EXPORT_ID = 'exp_files';
export const MOUNT = '/dav/files/';
export const OTHER_MOUNT = '/dav/other/';
export const OTHER_EXPORT_ID = 'exp_other';
export const ALLOWED_ORIGIN = 'https://home.example.org';
const SECRET = 'test-dav-auth-secret';
const KEY = nodeDavKey(SECRET, NODE_ID, 1);

export interface TokenOptions {
  username?: string;
  readonly?: boolean;
  admin?: boolean;
  /** Seconds from now (negative: already expired). */
  ttlSeconds?: number;
  exportId?: string;
  scope?: CredentialScope;
}

export interface FilesAgent {
  port: number;
  /** The export's folder on disk. */
  root: string;
  gate: CredentialGate;
  logs: string[];
  token(options?: TokenOptions): string;
  send(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: string | Buffer,
  ): Promise<RawResponse>;
  revoke(...usernames: string[]): void;
  /** Stops as the agent stops (closeServer: requests in flight finish, idle connections close). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface FilesAgentOptions {
  root?: string;
  watch?: Omit<WatchOptions, 'onGateChange'>;
  /** The WebDAV handler's clock (a later one makes new files count as settled for the small-file cache). */
  davClock?: () => number;
}

let serial = 0;

export async function startFilesAgent(options: FilesAgentOptions = {}): Promise<FilesAgent> {
  const root = options.root ?? tempDir('homeport-files-');
  const otherRoot = tempDir('homeport-files-other-');
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => logs.push(line) } });
  const db = openDatabase(':memory:');
  const state = openDavState(db);
  const exports = [
    { root, label: 'Files', mountPath: MOUNT },
    { root: otherRoot, label: 'Other', mountPath: OTHER_MOUNT },
  ];
  const gate = createCredentialGate();
  let revoked: string[] = [];
  const applyState = () =>
    applyGateState(gate, {
      keys: { nodeId: NODE_ID, maxTtlSeconds: 86_400, keys: [{ id: 1, key: KEY, notAfter: null }] },
      exportIds: new Map([
        [MOUNT, EXPORT_ID],
        [OTHER_MOUNT, OTHER_EXPORT_ID],
      ]),
      revoked,
      allowedOrigins: [ALLOWED_ORIGIN],
    });
  applyState();
  const server: Server = createAgentServer({
    exports,
    handlers: new Map(
      exports.map((item) => [
        item.mountPath,
        createDavHandler({
          root: item.root,
          state,
          log,
          ...(options.davClock ? { clock: options.davClock } : {}),
        }),
      ]),
    ),
    gate,
    log,
    files: { stateDir: tempDir('homeport-files-state-'), ...(options.watch ? { watch: options.watch } : {}) },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    root,
    gate,
    logs,
    token(token = {}) {
      const now = Math.floor(Date.now() / 1000);
      serial += 1;
      return signMountCredential(
        {
          v: 2,
          keyId: 1,
          nodeId: NODE_ID,
          exportId: token.exportId ?? EXPORT_ID,
          username: token.username ?? `web-test${serial}`,
          readonly: token.readonly ?? token.scope !== undefined,
          admin: token.admin ?? false,
          issuedAt: now - 60,
          expiresAt: now + (token.ttlSeconds ?? 900),
          ...(token.scope ? { scope: token.scope } : {}),
        },
        KEY,
        { basicPassword: false },
      );
    },
    send: (method, path, headers = {}, body) => send({ port }, method, path, headers, body),
    revoke(...usernames) {
      revoked = [...revoked, ...usernames];
      applyState();
    },
    stop: () => closeServer(server),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          db.close();
          resolve();
        });
      }),
  };
}

/** The claims' username of a token (its id, what revocation names). */
export function usernameOf(token: string): string {
  const payload = token.slice(0, token.indexOf('.'));
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u: string }).u;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
