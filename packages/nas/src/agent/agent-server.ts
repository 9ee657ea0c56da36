// The agent's HTTP front: finds the export by mount path, answers Finder's unauthenticated OPTIONS and the
// browser's CORS preflights, checks the mount credential (Basic, Bearer, or `?access_token=` on GET/HEAD),
// enforces read-only and a share link's scope, and hands the request to the WebDAV handler or to the files
// API (`?list`, `?watch`…). It also bounds what a client costs before it is authenticated (deadlines,
// connection caps, no body read on refusal).

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { type ConnectionLimits, guardConnections, type Logger } from '@homeport/core';
import type { MountClaims } from '../credentials/mount-credential.js';
import { SERVER_STOPPING } from './close-server.js';
import { agentConnectionLimits } from './connection-guard.js';
import type { CredentialGate } from './credential-gate.js';
import type { DavScope } from './dav/index.js';
import { type DavPath, parseRequestTarget } from './dav/request-path.js';
import { sendFailure } from './dav/respond.js';
import type { AgentExport } from './export-specs.js';
import { takeQueryToken } from './files/access-token.js';
import { answerPreflight, decorateForOrigin, isPreflight } from './files/cors.js';
import { createFilesDispatch, type FilesDispatch } from './files/dispatch.js';
import { queryOf, type SelectedOperation, selectOperation } from './files/operations.js';
import { checkRealScope, decideScope, type ScopeGrant } from './files/scope.js';
import { lazyDavState } from './files/upload-dav-state.js';
import type { WatchOptions } from './files/watch.js';

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
  /** Connection caps (default: agentConnectionLimits(), half the open-file limit). */
  connectionLimits?: ConnectionLimits;
  /** Deadlines (default: the constants below); tests shorten them. */
  deadlines?: AgentDeadlines;
  /**
   * The files API (the browser's `?list`, `?watch`, `?zip`, `?upload`): its state lives under `stateDir`.
   * Without it those operations answer 501 (plain WebDAV and `?download` still work).
   */
  files?: { stateDir: string; watch?: Omit<WatchOptions, 'onGateChange'> };
}

export interface AgentDeadlines {
  headersMs: number;
  keepAliveMs: number;
  idleMs: number;
}

/**
 * Headers must be complete this long after a connection opens (or after the previous response): a client
 * that trickles its headers, or opens a connection and sends nothing, is cut then (Node answers 408).
 */
export const HEADERS_TIMEOUT_MS = 20_000;
/** How often Node checks the header deadline at most; the effective deadline is up to this much later. */
const DEADLINE_CHECK_INTERVAL_MS = 5_000;
/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 30_000;
/**
 * A connection with no byte in either direction for this long is destroyed: this is the only deadline an
 * authenticated upload has (between two chunks), so a large file may take as long as it needs.
 */
export const IDLE_TIMEOUT_MS = 120_000;

const DEFAULT_DEADLINES: AgentDeadlines = {
  headersMs: HEADERS_TIMEOUT_MS,
  keepAliveMs: KEEP_ALIVE_TIMEOUT_MS,
  idleMs: IDLE_TIMEOUT_MS,
};

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
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(text);
}

/** Whether the request announces a body (which nobody has read yet). */
function announcesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length.trim() !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * Answers a request the front turns away and closes the connection without reading the body: otherwise Node
 * reads ("dumps") the rest of the body to reuse the connection, and a client that announces gigabytes and
 * sends a byte every few seconds holds a descriptor for ever without ever authenticating.
 */
function refuse(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.shouldKeepAlive = false;
  plain(response, status, text, { ...headers, connection: 'close' });
}

/** What a refused credential is told to send: a browser's fetch must not get Basic (it would pop a login box). */
function challenge(browser: boolean): Record<string, string> {
  return {
    'www-authenticate': browser ? 'Bearer realm="Homeport"' : 'Basic realm="Homeport", charset="UTF-8"',
  };
}

/**
 * What a scoped credential may do at `path` (a 403 DavError when nothing), and the real path of its item;
 * 'read' for an unscoped one.
 */
async function scopeGrant(
  target: AgentExport,
  claims: MountClaims,
  method: string,
  operation: SelectedOperation | undefined,
  path: DavPath,
): Promise<{ grant: ScopeGrant; scopeReal?: string }> {
  const scope = claims.scope;
  if (scope === undefined) return { grant: 'read' };
  const grant = decideScope(scope, method, operation?.name, path.segments, path.trailingSlash);
  return { grant, scopeReal: await checkRealScope(target.root, scope, path.segments) };
}

/** What a server serves: its exports, their handlers and files API; replaced whole when the set changes. */
interface ExportTable {
  byPrefix: AgentExport[];
  handlers: ReadonlyMap<string, DavRequestHandler>;
  files: FilesDispatch | undefined;
}

const reconfigurers = new WeakMap<
  http.Server,
  (exports: readonly AgentExport[], handlers: ReadonlyMap<string, DavRequestHandler>) => void
>();

/**
 * Makes a server from createAgentServer serve another set of exports: requests already running finish with
 * the set they started with, the next ones see the new one (same port, no restart). Folder watches of the
 * old set end (the page reconnects with its credential).
 */
export function setServerExports(
  server: http.Server,
  exports: readonly AgentExport[],
  handlers: ReadonlyMap<string, DavRequestHandler>,
): void {
  const reconfigure = reconfigurers.get(server);
  if (!reconfigure) throw new Error('not an agent server');
  reconfigure(exports, handlers);
}

export function createAgentServer(options: AgentServerOptions): http.Server {
  const allowsOrigin = (origin: string) => options.gate.allowsOrigin(origin);
  // One WebDAV-state connection for the uploads of every export set this server serves in its life.
  const davState = options.files ? lazyDavState(options.files.stateDir) : undefined;
  const tableOf = (
    exports: readonly AgentExport[],
    handlers: ReadonlyMap<string, DavRequestHandler>,
  ): ExportTable => ({
    // Longest mount path first, so `/dav/a-2/` is not taken for `/dav/a/`… (they cannot nest, but be exact).
    byPrefix: [...exports].sort((a, b) => b.mountPath.length - a.mountPath.length),
    handlers,
    files: options.files
      ? createFilesDispatch({
          exports,
          stateDir: options.files.stateDir,
          log: options.log,
          watch: { ...options.files.watch, onGateChange: (listener) => options.gate.onChange(listener) },
          ...(davState ? { davState } : {}),
        })
      : undefined,
  });
  let table = tableOf(options.exports, options.handlers);

  const serve = async (
    request: IncomingMessage,
    response: ServerResponse,
    expectsContinue: boolean,
  ): Promise<void> => {
    // The set this request is served by, even if it changes while the request runs.
    const { byPrefix, handlers, files } = table;
    // The URL form of a credential leaves the URL before anything reads it (routing, handlers, log lines).
    const queryToken = takeQueryToken(request);
    if (queryToken.kind !== 'none') response.setHeader('referrer-policy', 'no-referrer');
    if (isPreflight(request)) return answerPreflight(request, response, allowsOrigin);
    decorateForOrigin(request, response, allowsOrigin);
    const url = request.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    let target = byPrefix.find((item) => path.startsWith(item.mountPath));
    if (!target) {
      // `/dav/photos` without its slash: serve it as the export root.
      target = byPrefix.find((item) => path === item.mountPath.slice(0, -1));
      if (target) request.url = `${target.mountPath}${url.slice(path.length)}`;
    }
    // Finder and Windows send OPTIONS without credentials and refuse to mount on 401. Its body (if any) is
    // not read either: an unauthenticated request never gets its body read.
    if (method === 'OPTIONS' && request.headers.authorization === undefined) {
      if (announcesBody(request)) return refuse(response, 200, '', DAV_HEADERS);
      return plain(response, 200, '', DAV_HEADERS);
    }
    if (!target) return refuse(response, 404, 'No export here');
    let authorization = request.headers.authorization;
    const browser = queryToken.kind !== 'none' || authorization?.startsWith('Bearer ') === true;
    if (queryToken.kind !== 'none') {
      // A link, <img> or download cannot send a header; nothing that writes may ride on a URL (it ends up in
      // histories and proxy logs).
      if (method !== 'GET' && method !== 'HEAD')
        return refuse(
          response,
          401,
          'A credential in the URL is accepted for GET and HEAD only',
          challenge(true),
        );
      if (queryToken.kind === 'malformed')
        return refuse(response, 401, 'Give access_token once', challenge(true));
      authorization ??= `Bearer ${queryToken.token}`;
    }
    const verdict = options.gate.check(authorization, target.mountPath);
    if (!verdict.ok) {
      if (verdict.reason === 'wrong_export')
        return refuse(response, 403, 'This credential is for another export');
      if (verdict.reason !== 'missing')
        options.log.info({ reason: verdict.reason, mountPath: target.mountPath }, 'mount credential refused');
      return refuse(response, 401, 'Mount credential required', challenge(browser));
    }
    const { claims } = verdict;
    // From now on this connection is a user's: at the connection cap, anonymous ones are closed first.
    guard.markAuthenticated(request.socket);
    // `{mountPath}{username}/` is the same folder: Finder names the volume after the last path segment.
    const alias = `${target.mountPath}${claims.username}`;
    const prefix = path === alias || path.startsWith(`${alias}/`) ? `${alias}/` : target.mountPath;
    if (path === alias) request.url = `${alias}/${url.slice(path.length)}`;
    const query = queryOf(request.url ?? '/');
    let operation: SelectedOperation | undefined;
    let davPath: DavPath | undefined;
    let grant: ScopeGrant = 'read';
    let scopeReal: string | undefined;
    try {
      operation = selectOperation(method, query);
      // Decided on the decoded path (as the handler will decode it), never on the raw URL.
      if (claims.scope !== undefined || (operation !== undefined && operation.name !== 'download'))
        davPath = parseRequestTarget(request.url ?? '/', prefix);
      if (claims.scope !== undefined && davPath !== undefined)
        ({ grant, scopeReal } = await scopeGrant(target, claims, method, operation, davPath));
    } catch (error) {
      response.shouldKeepAlive = false;
      return sendFailure(response, error, options.log);
    }
    const writes = operation ? operation.writes : !READ_METHODS.has(method);
    if (claims.readonly && grant !== 'drop' && writes) {
      return refuse(response, 403, 'This mount is read-only');
    }
    // A file drop never replaces anything: its PUT (and upload) only create, as `If-None-Match: *` asks.
    if (grant === 'drop') request.headers['if-none-match'] = '*';
    const handler = handlers.get(target.mountPath);
    if (!handler) return refuse(response, 404, 'No export here');
    // `Expect: 100-continue` is answered only now, so a refused client never sends its body at all.
    if (expectsContinue) response.writeContinue();
    if (operation !== undefined && operation.name !== 'download' && davPath !== undefined) {
      if (!files) return refuse(response, 501, 'This agent does not serve the files API');
      const mountPath = target.mountPath;
      return files.serve(request, response, {
        operation: operation.name,
        target,
        path: davPath,
        prefix,
        query,
        claims,
        credentialValid: () => options.gate.check(authorization, mountPath).ok,
      });
    }
    await handler(request, response, {
      prefix,
      readonly: grant === 'drop' ? false : claims.readonly,
      principal: claims.username,
      mayBreakLocks: claims.admin,
      ...(operation?.name === 'download' ? { attachment: true } : {}),
      ...(scopeReal !== undefined ? { containedIn: scopeReal } : {}),
    });
  };

  const onRequest = (request: IncomingMessage, response: ServerResponse, expectsContinue: boolean) => {
    // A response that ends before the body was read (a GET with a body, a DAV refusal): close rather than
    // let Node read the rest to reuse the connection.
    response.once('finish', () => {
      if (!request.complete && announcesBody(request)) request.socket.destroy();
    });
    serve(request, response, expectsContinue).catch((error: unknown) => {
      options.log.error({ err: error, method: request.method, url: request.url }, 'webdav request failed');
      if (!response.headersSent) refuse(response, 500, 'Internal error');
      else response.destroy();
    });
  };

  const deadlines = options.deadlines ?? DEFAULT_DEADLINES;
  const server = http.createServer(
    {
      // Uploads of large files may take long: no whole-request deadline (the idle deadline bounds the
      // pauses), but headers must come quickly, and unauthenticated requests never get their body read.
      requestTimeout: 0,
      headersTimeout: deadlines.headersMs,
      connectionsCheckingInterval: Math.min(DEADLINE_CHECK_INTERVAL_MS, Math.ceil(deadlines.headersMs / 4)),
      keepAliveTimeout: deadlines.keepAliveMs,
      maxHeaderSize: 16_384,
    },
    (request, response) => onRequest(request, response, false),
  );
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) =>
    onRequest(request, response, true),
  );
  server.timeout = deadlines.idleMs;
  server.on(SERVER_STOPPING, () => table.files?.endLongAnswers());
  reconfigurers.set(server, (exports, handlers) => {
    const old = table;
    table = tableOf(exports, handlers);
    old.files?.endLongAnswers();
  });
  const guard = guardConnections(server, {
    limits: options.connectionLimits ?? agentConnectionLimits(),
    log: options.log,
    name: 'webdav',
  });
  return server;
}
