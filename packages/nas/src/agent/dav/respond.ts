// Writes responses: empty and XML bodies, and the one place where a DavError or an fs error becomes a status.

import type { ServerResponse } from 'node:http';
import type { Logger } from '@homeport/core';
import { DavError, type DavErrorCode } from './errors.js';
import { errnoCode } from './fs/resolve.js';
import { hasBody } from './headers.js';
import { escapeText } from './xml/write.js';

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';
export const XML_TYPE = 'application/xml; charset=utf-8';

const STATUS: Record<DavErrorCode, number> = {
  bad_request: 400,
  malformed_xml: 400,
  invalid_path: 400,
  outside_root: 403,
  read_only: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  precondition_failed: 412,
  body_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  locked: 423,
  bad_gateway: 502,
  insufficient_storage: 507,
  too_many_requests: 429,
  not_implemented: 501,
};

/** Status of an errno from the filesystem, for errors no method turned into a DavError itself. */
const ERRNO_STATUS: Record<string, DavErrorCode> = {
  ENOENT: 'not_found',
  ENOTDIR: 'conflict',
  EISDIR: 'conflict',
  EEXIST: 'method_not_allowed',
  ENOTEMPTY: 'conflict',
  EACCES: 'forbidden',
  EPERM: 'forbidden',
  EROFS: 'forbidden',
  ENAMETOOLONG: 'invalid_path',
  ENOSPC: 'insufficient_storage',
  EDQUOT: 'insufficient_storage',
  EFBIG: 'insufficient_storage',
};

export function statusOf(code: DavErrorCode): number {
  return STATUS[code];
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

/** Answers with an XML body, given as text or as its UTF-8 bytes. */
export function sendXml(
  res: ServerResponse,
  status: number,
  xml: string | Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': XML_TYPE,
    'Content-Length': String(Buffer.byteLength(xml)),
  });
  res.end(xml);
}

/** The DavError an fs error stands for, or undefined when it is a bug or an I/O failure (a 500). */
export function davErrorFromFs(error: unknown): DavError | undefined {
  if (error instanceof DavError) return error;
  const code = ERRNO_STATUS[errnoCode(error) ?? ''];
  return code === undefined
    ? undefined
    : new DavError(code, `Filesystem refused: ${errnoCode(error)}`, { cause: error });
}

/** Answers a failed request. Nothing is written once headers are out; the socket is cut so the client notices. */
export function sendFailure(res: ServerResponse, error: unknown, log: Logger | undefined): void {
  const dav = davErrorFromFs(error);
  if (dav === undefined) log?.error({ err: error }, 'webdav request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (dav === undefined) {
    sendText(res, 500, 'Internal server error', {});
    return;
  }
  const status = STATUS[dav.code];
  // A refusal sent before the body was read closes the connection: reusing it would mean reading (or
  // waiting for) the whole body first, however large it claims to be.
  const unread = res.req !== undefined && !res.req.complete && hasBody(res.req);
  if (unread) res.shouldKeepAlive = false;
  if (dav.condition !== undefined) {
    const hrefs = dav.hrefs.map((href) => `<D:href>${escapeText(href)}</D:href>`).join('');
    const condition =
      hrefs === '' ? `<D:${dav.condition}/>` : `<D:${dav.condition}>${hrefs}</D:${dav.condition}>`;
    const body = `${XML_DECLARATION}<D:error xmlns:D="DAV:">${condition}</D:error>`;
    sendXml(res, status, body, dav.headers);
    return;
  }
  sendText(res, status, dav.message, dav.headers);
}

function sendText(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string>,
): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    ...headers,
    // Messages quote what the client sent (a path segment): never let a browser sniff them into a page.
    'X-Content-Type-Options': 'nosniff',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}
