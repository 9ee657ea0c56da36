// The agent's HTTP front: finds the export by mount path, answers Finder's unauthenticated OPTIONS,
// checks the mount credential, enforces read-only, and hands the request to the WebDAV handler.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@homeport/core';
import type { CredentialGate } from './credential-gate.js';
import type { DavScope } from './dav/index.js';
import type { AgentExport } from './export-specs.js';

export type DavRequestHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  scope: DavScope,
) => Promise<void>;

export interface AgentServerOptions {
  exports: readonly AgentExport[];
  handlers: ReadonlyMap<string, DavRequestHandler>;
  gate: CredentialGate;
  log: Logger;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PROPFIND']);
const DAV_HEADERS = {
  dav: '1, 2',
  'ms-author-via': 'DAV',
  allow: 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK',
};

function plain(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export function createAgentServer(options: AgentServerOptions): http.Server {
  // Longest mount path first, so `/dav/a-2/` is not taken for `/dav/a/`… (they cannot nest, but be exact).
  const byPrefix = [...options.exports].sort((a, b) => b.mountPath.length - a.mountPath.length);

  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    let target = byPrefix.find((item) => path.startsWith(item.mountPath));
    if (!target) {
      // `/dav/photos` without its slash: serve it as the export root.
      target = byPrefix.find((item) => path === item.mountPath.slice(0, -1));
      if (target) request.url = `${target.mountPath}${url.slice(path.length)}`;
    }
    // Finder and Windows send OPTIONS without credentials and refuse to mount on 401.
    if (request.method === 'OPTIONS' && request.headers.authorization === undefined) {
      return plain(response, 200, '', DAV_HEADERS);
    }
    if (!target) return plain(response, 404, 'No export here');
    const verdict = options.gate.check(request.headers.authorization, target.mountPath);
    if (!verdict.ok) {
      if (verdict.reason === 'wrong_export')
        return plain(response, 403, 'This credential is for another export');
      if (verdict.reason !== 'missing')
        options.log.info({ reason: verdict.reason, mountPath: target.mountPath }, 'mount credential refused');
      return plain(response, 401, 'Mount credential required', {
        'www-authenticate': 'Basic realm="Homeport", charset="UTF-8"',
      });
    }
    const { claims } = verdict;
    if (claims.readonly && !READ_METHODS.has(request.method ?? '')) {
      return plain(response, 403, 'This mount is read-only');
    }
    // `{mountPath}{username}/` is the same folder: Finder names the volume after the last path segment.
    const alias = `${target.mountPath}${claims.username}`;
    const prefix = path === alias || path.startsWith(`${alias}/`) ? `${alias}/` : target.mountPath;
    if (path === alias) request.url = `${alias}/${url.slice(path.length)}`;
    const handler = options.handlers.get(target.mountPath);
    if (!handler) return plain(response, 404, 'No export here');
    await handler(request, response, { prefix, readonly: claims.readonly, principal: claims.username });
  };

  return http.createServer(
    // Uploads of large files may take long: no whole-request timeout, but headers must come quickly.
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 30_000, maxHeaderSize: 16_384 },
    (request, response) => {
      serve(request, response).catch((error: unknown) => {
        options.log.error({ err: error, method: request.method, url: request.url }, 'webdav request failed');
        if (!response.headersSent) plain(response, 500, 'Internal error');
        else response.destroy();
      });
    },
  );
}
