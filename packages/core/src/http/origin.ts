// Same-origin checks for browser requests, shared by CSRF protection and CORS.

import type { FastifyRequest } from 'fastify';

/** The origin this server is reached at: the public URL when configured, otherwise from the request. */
export function selfOrigin(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return new URL(publicUrl).origin;
  return `${request.protocol}://${request.host}`;
}

/**
 * Whether a browser request comes from a page we trust: our own origin or one in the CORS allowlist.
 * Requests without Origin and Sec-Fetch-Site come from non-browser clients (curl, scripts) and pass;
 * a browser always sends Origin on a cross-origin mutation.
 */
export function isTrustedBrowserOrigin(
  request: FastifyRequest,
  publicUrl: string | undefined,
  allowedOrigins: ReadonlySet<string>,
): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    return origin === selfOrigin(request, publicUrl) || allowedOrigins.has(origin);
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  return true;
}
