// The closed set of reasons the WebDAV server refuses a request; respond.ts turns each into its status.

import { HomeportError } from '@homeport/core';

export type DavErrorCode =
  /** Malformed request line, header or body that is not XML (Depth: 1 on MOVE, a broken If header…). */
  | 'bad_request'
  /** The request body is not well-formed XML, or well-formed but not the element RFC 4918 asks for. */
  | 'malformed_xml'
  /** The URL path cannot name a file inside the export (bad %-escape, `..`, NUL, backslash, `%2f`). */
  | 'invalid_path'
  /** The path resolves (through a symlink) outside the export root. */
  | 'outside_root'
  /** A write on a read-only share. */
  | 'read_only'
  /** Refused for a reason RFC 4918 names with a 403 (copy onto itself, Depth: infinity PROPFIND…). */
  | 'forbidden'
  | 'not_found'
  /** The method does not apply to this resource (MKCOL on an existing one, PUT on a collection). */
  | 'method_not_allowed'
  /** An intermediate collection is missing (PUT, MKCOL, COPY/MOVE destination). */
  | 'conflict'
  /** An If, If-Match, If-None-Match, If-Unmodified-Since or Overwrite: F condition failed. */
  | 'precondition_failed'
  /** The resource (or a member, or its parent) is locked and no matching lock token was submitted. */
  | 'locked'
  /** An XML body larger than the cap, or asking more than a request may (property names, a lock owner). */
  | 'body_too_large'
  /** MKCOL with a body (RFC 4918 9.3.1). */
  | 'unsupported_media_type'
  | 'range_not_satisfiable'
  /** COPY/MOVE Destination on another server. */
  | 'bad_gateway'
  /** The disk is full or the quota is reached. */
  | 'insufficient_storage'
  /** A cap on what one credential or the agent holds open at once (folder watches of the files API). */
  | 'too_many_requests'
  /** A files-API operation this agent does not offer (yet). */
  | 'not_implemented';

export interface DavErrorOptions {
  cause?: unknown;
  /** RFC 4918 precondition/postcondition element sent in a `DAV:error` body (e.g. `propfind-finite-depth`). */
  condition?: string;
  /** Hrefs inside the condition element (the lock roots of `lock-token-submitted`). */
  hrefs?: readonly string[];
  /** Extra response headers (e.g. `Content-Range: bytes *\/size` on a 416). */
  headers?: Record<string, string>;
}

/** Kind for the generic Homeport error mapping; the DAV server itself uses respond.ts's status table. */
const KINDS = {
  bad_request: 'bad_request',
  malformed_xml: 'bad_request',
  invalid_path: 'bad_request',
  outside_root: 'forbidden',
  read_only: 'forbidden',
  forbidden: 'forbidden',
  not_found: 'not_found',
  method_not_allowed: 'bad_request',
  conflict: 'conflict',
  precondition_failed: 'conflict',
  locked: 'conflict',
  body_too_large: 'too_large',
  unsupported_media_type: 'bad_request',
  range_not_satisfiable: 'bad_request',
  bad_gateway: 'bad_request',
  insufficient_storage: 'unavailable',
  too_many_requests: 'rate_limited',
  not_implemented: 'unavailable',
} as const;

export class DavError extends HomeportError<DavErrorCode> {
  readonly condition: string | undefined;
  readonly hrefs: readonly string[];
  readonly headers: Record<string, string>;

  constructor(code: DavErrorCode, message: string, options: DavErrorOptions = {}) {
    super(code, KINDS[code], message, options.cause === undefined ? {} : { cause: options.cause });
    this.condition = options.condition;
    this.hrefs = options.hrefs ?? [];
    this.headers = options.headers ?? {};
  }
}
