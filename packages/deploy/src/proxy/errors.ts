// The closed set of errors the proxy raises to its caller (bad options, bad routes), each bound to its kind.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  /** A route whose host or upstream is not one the proxy can serve (not http://host:port, a path, …). */
  invalid_route: 'bad_request',
  /** Limits or options out of range when the proxy is created. */
  invalid_options: 'bad_request',
} as const satisfies Record<string, ErrorKind>;

export type ProxyErrorCode = keyof typeof KINDS;

export class ProxyError extends errorClass(KINDS) {}
