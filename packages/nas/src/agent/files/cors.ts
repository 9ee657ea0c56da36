// CORS for the browser's files page: only the control plane's own origins may call the agent from a page
// (the list reaches the agent with its keys), never with cookies (the agent has none; credentials travel as
// Bearer tokens a script adds on purpose).

import type { IncomingMessage, ServerResponse } from 'node:http';

const ALLOW_METHODS = 'GET, HEAD, PUT, POST, PATCH, DELETE, MKCOL, COPY, MOVE, PROPFIND';
const ALLOW_HEADERS =
  'authorization, content-type, depth, destination, overwrite, range, if-match, if-none-match, upload-offset, upload-length, x-file-name';
const EXPOSE_HEADERS =
  'etag, content-length, content-range, upload-offset, upload-length, location, last-modified';
/** Seconds a browser may reuse a preflight answer. */
const MAX_AGE = '600';

/** A CORS preflight: OPTIONS naming the method it asks for (a WebDAV client's OPTIONS names none). */
export function isPreflight(request: IncomingMessage): boolean {
  return (
    request.method === 'OPTIONS' &&
    typeof request.headers.origin === 'string' &&
    typeof request.headers['access-control-request-method'] === 'string'
  );
}

/**
 * Answers a preflight without credentials (a browser never sends them on one): 204, with the CORS headers
 * only when the origin is allowed, so a page of any other origin gets an answer that lets it do nothing.
 */
export function answerPreflight(
  request: IncomingMessage,
  response: ServerResponse,
  allowed: (origin: string) => boolean,
): void {
  const origin = request.headers.origin ?? '';
  const headers: Record<string, string> = { vary: 'Origin', 'content-length': '0' };
  if (allowed(origin)) {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': MAX_AGE,
    });
  }
  // A preflight carries no body worth reading; do not keep a connection that might have one behind it.
  if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined)
    response.shouldKeepAlive = false;
  response.writeHead(204, headers);
  response.end();
}

/**
 * Sets the CORS headers of an actual answer to an allowed origin before anything is written: every answer
 * (refusals too, so the page can read why) carries them, whoever writes its head later.
 */
export function decorateForOrigin(
  request: IncomingMessage,
  response: ServerResponse,
  allowed: (origin: string) => boolean,
): void {
  const origin = request.headers.origin;
  if (origin === undefined || !allowed(origin)) return;
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  response.setHeader('vary', 'Origin');
}
