// The proxy's own answers: small static HTML pages. Nothing from the request is ever put in them (a Host
// header or path echoed back would be a reflected XSS on every routed domain); the maintenance message is
// the operator's text, and it is escaped too.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ProxyStatus = 400 | 404 | 413 | 502 | 503 | 504;

const PAGES: Record<ProxyStatus, { reason: string; text: string }> = {
  400: { reason: 'Bad Request', text: 'The request could not be understood.' },
  404: { reason: 'Not Found', text: 'No site is served under this name.' },
  413: { reason: 'Payload Too Large', text: 'The request body is larger than this site accepts.' },
  502: { reason: 'Bad Gateway', text: 'The site is not answering right now. Try again in a moment.' },
  503: { reason: 'Service Unavailable', text: 'The site is unavailable right now. Try again in a moment.' },
  504: { reason: 'Gateway Timeout', text: 'The site took too long to answer. Try again in a moment.' },
};

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export function errorPage(status: ProxyStatus, message?: string): string {
  const page = PAGES[status];
  const text = message === undefined ? page.text : escapeHtml(message);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${status} ${page.reason}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222">
<h1>${status} ${page.reason}</h1><p>${text}</p></body></html>
`;
}

function pageHeaders(body: string, close: boolean): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  };
  if (close) headers.connection = 'close';
  return headers;
}

/**
 * Answers with an error page. `close` ends the connection afterwards: needed when the request body was
 * not read (413), or Node would read it all to reuse the connection.
 */
export function sendErrorPage(
  res: ServerResponse,
  status: ProxyStatus,
  options: { message?: string; close?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorPage(status, options.message);
  res.writeHead(status, pageHeaders(body, options.close ?? false));
  res.end(body);
}

/** The same page written raw to a socket that asked for an upgrade (there is no ServerResponse then). */
export function writeErrorPageToSocket(socket: Socket, status: ProxyStatus, message?: string): void {
  if (socket.destroyed) return;
  const body = errorPage(status, message);
  const head = Object.entries(pageHeaders(body, true))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${PAGES[status].reason}\r\n${head}\r\n${body}`);
}
