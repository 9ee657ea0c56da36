// The error every failed API call rejects with, built from the server's `{ error: { code, message } }` body.

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  /** Seconds from the `Retry-After` header, present on 429 responses. */
  retryAfter?: number;
  cause?: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when the request never got a response (network down, server unreachable). */
  readonly status: number;
  readonly code: string;
  readonly retryAfter: number | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.retryAfter = init.retryAfter;
  }
}

/** A message fit to show a person, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong';
}
