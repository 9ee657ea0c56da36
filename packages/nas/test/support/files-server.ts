// A real HTTP server on a free loopback port that hands every request to one files operation with a
// FilesContext built as the agent builds it (the export's checked resolver, the path decoded by the WebDAV
// decoder, a 0700 state dir): tests of one operation without the gate, whose own tests are elsewhere.

import { mkdirSync, realpathSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@homeport/core';
import { createExportRoot } from '../../src/agent/dav/fs/resolve.js';
import { keyOf, parseRequestTarget } from '../../src/agent/dav/request-path.js';
import { sendFailure } from '../../src/agent/dav/respond.js';
import type { FilesContext, FilesOperation } from '../../src/agent/files/context.js';
import type { MountClaims } from '../../src/credentials/mount-credential.js';

export const PREFIX = '/dav/files/';

export function claimsFor(overrides: Partial<MountClaims> = {}): MountClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    v: 2,
    keyId: 1,
    nodeId: 'node_test',
    exportId: 'exp_test',
    username: 'web-test',
    readonly: false,
    admin: false,
    issuedAt: now,
    expiresAt: now + 900,
    ...overrides,
  };
}

export interface FilesServer {
  url: string;
  /** The mount URL: `${url}${PREFIX}`. */
  base: string;
  /** Claims of the next requests (a test switches credentials). */
  claims: MountClaims;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startFilesServer(options: {
  root: string;
  stateDir: string;
  operation: FilesOperation;
}): Promise<FilesServer> {
  const real = realpathSync(options.root);
  const exportRoot = createExportRoot(real);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const state = { claims: claimsFor() };
  const server = http.createServer((request, response) => {
    const run = async () => {
      const url = request.url ?? '/';
      const path = parseRequestTarget(url, PREFIX);
      const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
      const ctx: FilesContext = {
        root: real,
        exportRoot,
        relativePath: keyOf(path.segments),
        segments: path.segments,
        trailingSlash: path.trailingSlash,
        prefix: PREFIX,
        stateDir: options.stateDir,
        query,
        claims: state.claims,
        credentialValid: () => true,
        log,
      };
      await options.operation(request, response, ctx);
    };
    run().catch((error: unknown) => sendFailure(response, error, log));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo; // a TCP server on host:port
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    base: `${url}${PREFIX}`,
    get claims() {
      return state.claims;
    },
    set claims(value) {
      state.claims = value;
    },
    logs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
