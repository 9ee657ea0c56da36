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

export type CoreErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'csrf_rejected'
  | 'host_not_allowed'
  | 'metrics_forbidden'
  | 'rate_limited'
  | 'unknown_topic'
  | 'forbidden_topic'
  | 'shutting_down'
  | 'internal_error';

/** Errors raised by core itself (HTTP hardening, events, lifecycle). */
export class CoreError extends HomeportError<CoreErrorCode> {}
