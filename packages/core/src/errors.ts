// Error base for every Homeport package: a closed code, a kind that the HTTP layer maps to a status in one place.

/** What kind of failure an error is; the HTTP error handler turns this into a status code. */
export type ErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  /** The request was meant for another server (a Host we do not answer to): 421. */
  | 'misdirected'
  | 'internal';

export interface HomeportErrorOptions {
  cause?: unknown;
  /** Structured fields that help the caller act (e.g. `{ field: 'username' }`); sent in the error body. */
  details?: Record<string, unknown>;
  /** Seconds after which a retry makes sense (rate limits, unavailable). */
  retryAfterSeconds?: number;
}

/**
 * Base class of every domain error. Subclasses narrow `code` to their package's closed set.
 *
 * @example
 *   class NasError extends HomeportError<'export_not_found' | 'node_offline'> {}
 *   throw new NasError('node_offline', 'unavailable', 'The node is offline');
 */
export class HomeportError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: Code, kind: ErrorKind, message: string, options: HomeportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * The base class of a package's errors, from its catalogue binding each code to its kind: throw sites name
 * only the code and a message, and the HTTP layer maps the kind to a status.
 *
 * @example
 *   const KINDS = { node_offline: 'unavailable' } as const satisfies Record<string, ErrorKind>;
 *   export class NasError extends errorClass(KINDS) {}
 *   throw new NasError('node_offline', 'The node is offline');
 */
export function errorClass<const Kinds extends Record<string, ErrorKind>>(kinds: Kinds) {
  return class extends HomeportError<Extract<keyof Kinds, string>> {
    constructor(code: Extract<keyof Kinds, string>, message: string, options?: HomeportErrorOptions) {
      super(code, kinds[code] as ErrorKind, message, options); // the catalogue's value for this code
    }
  };
}

/** Core's own codes, each bound to its kind (the codes the error mapper sends for Fastify's errors are not here). */
const CORE_KINDS = {
  invalid_request: 'bad_request',
  body_too_large: 'too_large',
  forbidden: 'forbidden',
  csrf_rejected: 'forbidden',
  host_not_allowed: 'misdirected',
  /** /metrics without HOMEPORT_METRICS_TOKEN, from anything but a direct loopback client. */
  metrics_forbidden: 'forbidden',
  /** /metrics with HOMEPORT_METRICS_TOKEN set, without that token. */
  metrics_unauthorized: 'unauthorized',
  rate_limited: 'rate_limited',
  unknown_topic: 'bad_request',
  forbidden_topic: 'forbidden',
  /** The database holds migrations this binary does not know: a newer Homeport wrote it. */
  database_newer: 'conflict',
} as const satisfies Record<string, ErrorKind>;

export type CoreErrorCode = keyof typeof CORE_KINDS;

/** Errors raised by core itself (HTTP hardening, events); a throw site names only the code and a message. */
export class CoreError extends errorClass(CORE_KINDS) {}
