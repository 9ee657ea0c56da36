// The two cookies Homeport sets (the session and the OIDC login binding), written and read here instead of
// through @fastify/cookie: that plugin adds an onSend hook that every response of every route passes through
// (issue 15: each hook is a step of Fastify's pipeline on the busiest routes), for cookies set on three routes.

import type { FastifyReply } from 'fastify';

export interface CookieOptions {
  path: string;
  httpOnly: boolean;
  sameSite: 'lax' | 'strict';
  secure: boolean;
  /** Seconds; 0 removes the cookie. */
  maxAge: number;
}

/** RFC 6265 §4.1.1: a cookie name is an HTTP token. */
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** cookie-octet: printable ASCII without space, `"`, `,`, `;` and `\`. Our values are hex or base64url. */
const VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
/** A path attribute value: printable ASCII without `;`. */
const PATH = /^[\x20-\x3A\x3C-\x7E]+$/;

/** The Set-Cookie header value; throws on a name, value or path a browser would misread. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!NAME.test(name)) throw new TypeError(`invalid cookie name ${JSON.stringify(name)}`);
  if (!VALUE.test(value)) throw new TypeError(`invalid value for cookie ${name}`);
  if (!PATH.test(options.path)) throw new TypeError(`invalid path for cookie ${name}`);
  if (!Number.isSafeInteger(options.maxAge) || options.maxAge < 0)
    throw new TypeError(`invalid max-age for cookie ${name}: ${options.maxAge}`);
  let header = `${name}=${value}; Max-Age=${options.maxAge}; Path=${options.path}`;
  // Old browsers without Max-Age keep a removed cookie unless it has expired by date as well.
  if (options.maxAge === 0) header += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (options.httpOnly) header += '; HttpOnly';
  if (options.secure) header += '; Secure';
  return `${header}; SameSite=${options.sameSite === 'lax' ? 'Lax' : 'Strict'}`;
}

/** Adds a Set-Cookie header to the reply (Fastify keeps every set-cookie value, in order). */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  reply.header('set-cookie', serializeCookie(name, value, options));
}

/** Tells the browser to drop the cookie (same name and path, expired). */
export function clearCookie(reply: FastifyReply, name: string, options: Omit<CookieOptions, 'maxAge'>): void {
  setCookie(reply, name, '', { ...options, maxAge: 0 });
}

/**
 * The value of the first cookie called `name` in a Cookie header, quotes removed and percent-escapes
 * decoded (a malformed escape stays as sent); undefined when there is none.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!value.includes('%')) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
