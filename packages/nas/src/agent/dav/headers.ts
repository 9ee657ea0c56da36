// Parses the WebDAV request headers other than If: Depth, Overwrite, Timeout and Lock-Token.

import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.js';

export type Depth = '0' | '1' | 'infinity';

/**
 * A request header as one string. Node types extension headers (Depth, If, Destination…) as string | string[];
 * it joins repeated ones with ', ' itself, so the array case only comes from a hand-built request.
 */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The Depth header, or `fallback` when absent (each method has its own default in RFC 4918). */
export function parseDepth(req: IncomingMessage, fallback: Depth): Depth {
  const value = headerOf(req, 'depth');
  if (value === undefined) return fallback;
  const normalized = value.trim().toLowerCase();
  if (normalized === '0' || normalized === '1' || normalized === 'infinity') return normalized;
  throw new DavError('bad_request', `Invalid Depth header "${value}"; expected 0, 1 or infinity`);
}

/** Overwrite: T (the default) or F. */
export function parseOverwrite(req: IncomingMessage): boolean {
  const value = headerOf(req, 'overwrite');
  if (value === undefined) return true;
  const normalized = value.trim().toUpperCase();
  if (normalized === 'T') return true;
  if (normalized === 'F') return false;
  throw new DavError('bad_request', `Invalid Overwrite header "${value}"; expected T or F`);
}

export interface LockTimeouts {
  /** Used when the client sends no Timeout header. */
  defaultSeconds: number;
  /** Cap on what a client may ask for, Infinite included. */
  maxSeconds: number;
}

/**
 * Timeout: a comma-separated list of preferences (`Infinite, Second-4100000000`); the server may pick any
 * (RFC 4918 10.7). We take the first one we understand and cap it, so a crashed client's lock always expires.
 */
export function parseTimeout(req: IncomingMessage, limits: LockTimeouts): number {
  const value = headerOf(req, 'timeout');
  if (value === undefined) return limits.defaultSeconds;
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item.toLowerCase() === 'infinite') return limits.maxSeconds;
    const match = /^second-(\d{1,12})$/i.exec(item);
    if (match?.[1] !== undefined) return Math.max(1, Math.min(Number(match[1]), limits.maxSeconds));
  }
  return limits.defaultSeconds;
}

/** Lock-Token: <token> (UNLOCK). */
export function parseLockToken(req: IncomingMessage): string {
  const value = headerOf(req, 'lock-token');
  const match = value === undefined ? null : /^\s*<([^<>\s]+)>\s*$/.exec(value);
  if (match?.[1] === undefined)
    throw new DavError('bad_request', 'UNLOCK needs a Lock-Token header: <token>');
  return match[1];
}

/** Whether the request carries a body (MKCOL must refuse one, PROPFIND treats none as allprop). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}
