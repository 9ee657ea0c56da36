// Builds 207 Multi-Status bodies as strings, no DOM (a PROPFIND of 10,000 files is assembled in byte batches).

import { STATUS_CODES } from 'node:http';
import type { LockFailure } from './preconditions.js';
import { hrefOf, segmentsOf } from './request-path.js';
import { XML_DECLARATION } from './respond.js';
import { escapeText } from './xml/write.js';

const statusLines = new Map<number, string>();

/** `<D:status>HTTP/1.1 404 Not Found</D:status>`, built once per code. */
export function statusElement(code: number): string {
  let line = statusLines.get(code);
  if (line === undefined) {
    line = `<D:status>HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}</D:status>`;
    statusLines.set(code, line);
  }
  return line;
}

/** The two ends of a 207 body, for a body assembled in pieces (a PROPFIND of a large folder). */
export const MULTISTATUS_START = `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">`;
export const MULTISTATUS_END = '</D:multistatus>';

export function multistatus(responses: string): string {
  return `${MULTISTATUS_START}${responses}${MULTISTATUS_END}`;
}

export function hrefElement(href: string): string {
  return `<D:href>${escapeText(href)}</D:href>`;
}

/** One `<D:response>` per resource that stayed locked (DELETE and MOVE of a collection with locked members). */
export function multistatusOfFailures(
  prefix: string,
  failures: readonly LockFailure[],
  code: number,
): string {
  let body = '';
  for (const failure of failures) {
    const roots = failure.lockRoots
      .map((key) => hrefElement(hrefOf(prefix, segmentsOf(key), false)))
      .join('');
    body += `<D:response>${hrefElement(hrefOf(prefix, segmentsOf(failure.key), false))}${statusElement(code)}<D:error><D:lock-token-submitted>${roots}</D:lock-token-submitted></D:error></D:response>`;
  }
  return multistatus(body);
}
