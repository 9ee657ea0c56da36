// WebDAV mount credentials: HMAC-signed claims the agent verifies locally, in constant time, without a
// round trip to the control plane. Password = base64url(claims JSON) "." base64url(HMAC-SHA256).
//
// A credential is bound to one export by its id (not by the URL it was mounted at), signed with one
// generation of its node's key (so rotating the key ends every credential signed before), carries its
// issue time so an agent can refuse lifetimes longer than the control plane ever issues, and is named by
// its Basic-auth username, which is also the id it is revoked by.

import { createHmac, timingSafeEqual } from 'node:crypto';

export interface MountClaims {
  /** 2; a scoped credential is written as 3, so an agent that predates scopes refuses it instead of ignoring the scope. */
  v: 2;
  /** Generation of the node key that signed it. */
  keyId: number;
  nodeId: string;
  /** The export it opens, by identity: a folder that takes its mount path later is another export. */
  exportId: string;
  /** The credential's id and its Basic-auth username (`mount-<random>`). */
  username: string;
  readonly: boolean;
  /** Issued to an admin: may break other principals' WebDAV locks (RFC 4918 §9.11). */
  admin: boolean;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds. */
  expiresAt: number;
  /**
   * Narrows the credential to one file or folder of the export (a share link's access): `path` is that item,
   * relative to the export root (`/` + segments, no `.`/`..`, no empty segment); `mode` `view` reads it,
   * `drop` only uploads new files into it (a file drop: nothing can be read, listed or overwritten).
   * Absent: the whole export, as `readonly` says.
   */
  scope?: CredentialScope;
}

export interface CredentialScope {
  path: string;
  mode: 'view' | 'drop';
}

/** Longest scope path a credential carries (bytes of UTF-8); a deeper item cannot be shared by link. */
export const MAX_SCOPE_PATH_BYTES = 1024;

/**
 * Whether `path` is a canonical scope path: `/`, or `/` followed by non-empty segments separated by single
 * slashes, none `.` or `..`, no NUL and no backslash, at most MAX_SCOPE_PATH_BYTES.
 */
export function isScopePath(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/') || Buffer.byteLength(path) > MAX_SCOPE_PATH_BYTES)
    return false;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && !/[\\\0]/.test(segment));
}

/**
 * Longest node or export id a credential carries: generated ids are 16–17 characters, ids imported from
 * betterNAS (`dev-node-2`) longer than this are refused by the importer, so the worst case stays under the
 * password limit below (tested).
 */
export const MAX_ID_LENGTH = 32;
/** What a node or export id may hold (generated ones: `node_`/`exp_` and base64url). */
export const ID_PATTERN = new RegExp(`^[A-Za-z0-9._-]{1,${MAX_ID_LENGTH}}$`);

/** The longest credential verification reads: a scoped one with a deep path is about 1,600 characters. */
export const MAX_TOKEN_LENGTH = 2048;

/** macOS WebDAVFS cuts Basic passwords at 255 bytes; stay well under. */
export const MAX_PASSWORD_BYTES = 250;

/**
 * The HMAC-SHA256 tag is truncated to 128 bits (RFC 2104 §5 allows it; forging still takes 2^128 tries)
 * to leave room for the claims under Finder's limit.
 */
const TAG_BYTES = 16;

/** An agent accepts credentials issued up to this far in its future (clocks of two machines differ). */
export const CLOCK_SKEW_SECONDS = 300;

const tag = (key: Buffer, payload: string) =>
  createHmac('sha256', key).update(payload).digest().subarray(0, TAG_BYTES);

/**
 * The key a node verifies one generation of its credentials with: derived per node and generation from the
 * control plane's secret, so a node cannot mint credentials for another node, and a new generation ends
 * what the old one signed. Nothing but the secret is stored.
 */
export function nodeDavKey(davAuthSecret: string, nodeId: string, keyId: number): Buffer {
  return createHmac('sha256', davAuthSecret).update(`homeport-dav-node:${nodeId}:${keyId}`).digest();
}

/** The wire form keeps field names to one letter: Finder's 255-byte password limit. */
interface WireClaims {
  v: 2 | 3;
  k: number;
  n: string;
  e: string;
  u: string;
  r: 0 | 1;
  a: 0 | 1;
  i: number;
  x: number;
  /** scope.path */
  p?: string;
  /** scope.mode: `v` view, `d` drop */
  m?: 'v' | 'd';
}

const toWire = (claims: MountClaims): WireClaims => ({
  v: claims.scope ? 3 : 2,
  k: claims.keyId,
  n: claims.nodeId,
  e: claims.exportId,
  u: claims.username,
  r: claims.readonly ? 1 : 0,
  a: claims.admin ? 1 : 0,
  i: claims.issuedAt,
  x: claims.expiresAt,
  ...(claims.scope ? { p: claims.scope.path, m: claims.scope.mode === 'view' ? 'v' : 'd' } : {}),
});

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 128;
const isFlag = (value: unknown): value is 0 | 1 => value === 0 || value === 1;

function fromWire(value: unknown): MountClaims | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const wire = value as Record<string, unknown>; // fields checked one by one below
  if (
    (wire.v !== 2 && wire.v !== 3) ||
    !isCount(wire.k) ||
    !isText(wire.n) ||
    !isText(wire.e) ||
    !isText(wire.u) ||
    !isFlag(wire.r) ||
    !isFlag(wire.a) ||
    !isCount(wire.i) ||
    !isCount(wire.x)
  ) {
    return undefined;
  }
  let scope: CredentialScope | undefined;
  if (wire.v === 3) {
    // Version 3 is exactly a scoped credential: both fields, a canonical path, and never a read-write one.
    if (
      typeof wire.p !== 'string' ||
      !isScopePath(wire.p) ||
      (wire.m !== 'v' && wire.m !== 'd') ||
      wire.r !== 1
    )
      return undefined;
    scope = { path: wire.p, mode: wire.m === 'v' ? 'view' : 'drop' };
  } else if (wire.p !== undefined || wire.m !== undefined) return undefined;
  return {
    v: 2,
    keyId: wire.k,
    nodeId: wire.n,
    exportId: wire.e,
    username: wire.u,
    readonly: wire.r === 1,
    admin: wire.a === 1,
    issuedAt: wire.i,
    expiresAt: wire.x,
    ...(scope ? { scope } : {}),
  };
}

/**
 * Signs the claims. A credential a WebDAV client sends as a Basic password must stay under Finder's limit;
 * one only a browser sends (`Authorization: Bearer`, a share link's scoped access) may be longer
 * (`basicPassword: false`), up to the 1,024 characters verification accepts.
 */
export function signMountCredential(
  claims: MountClaims,
  key: Buffer,
  options: { basicPassword?: boolean } = {},
): string {
  if (claims.scope && (!isScopePath(claims.scope.path) || !claims.readonly))
    throw new Error('a scoped credential needs a canonical scope path and readonly: true');
  const payload = Buffer.from(JSON.stringify(toWire(claims))).toString('base64url');
  const password = `${payload}.${tag(key, payload).toString('base64url')}`;
  if (password.length > MAX_TOKEN_LENGTH) throw new Error(`credential is ${password.length} characters`);
  if ((options.basicPassword ?? true) && Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new Error(`mount credential is ${Buffer.byteLength(password)} bytes; Finder cuts passwords at 255`);
  }
  return password;
}

export type CredentialRefusal =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'too_long'
  | 'wrong_user'
  | 'wrong_node';

export type CredentialCheck =
  | { ok: true; claims: MountClaims }
  | { ok: false; reason: CredentialRefusal; keyId?: number };

export interface VerifyExpectations {
  nodeId: string;
  nowSeconds: number;
  /** The longest lifetime the control plane issues; a longer one was not minted by it. */
  maxTtlSeconds: number;
  /** The key of a generation, or undefined when this agent does not (or no longer) accept it. */
  keyFor(keyId: number): Buffer | undefined;
}

/**
 * Verifies the tag first (constant time) with the key generation the claims name, then lifetime, user and
 * node. The claims are parsed before the tag is checked only to pick the key; nothing else in them is
 * trusted until the tag matched.
 */
export function verifyMountCredential(
  username: string,
  password: string,
  expected: VerifyExpectations,
): CredentialCheck {
  if (password.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const dot = password.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'malformed' };
  const payload = password.slice(0, dot);
  const tagText = password.slice(dot + 1);
  let claims: MountClaims | undefined;
  try {
    claims = fromWire(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    return { ok: false, reason: 'malformed' }; // not JSON: garbage, whoever sent it
  }
  if (!claims) return { ok: false, reason: 'malformed' };
  const key = expected.keyFor(claims.keyId);
  if (!key) return { ok: false, reason: 'unknown_key', keyId: claims.keyId };
  const given = Buffer.from(tagText, 'base64url');
  const wanted = tag(key, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { ok: false, reason: 'bad_signature' };
  // base64 decoding ignores the last character's spare bits; only the canonical spelling is the credential.
  if (given.toString('base64url') !== tagText) return { ok: false, reason: 'malformed' };
  if (claims.expiresAt <= expected.nowSeconds) return { ok: false, reason: 'expired' };
  if (claims.issuedAt > expected.nowSeconds + CLOCK_SKEW_SECONDS)
    return { ok: false, reason: 'not_yet_valid' };
  if (claims.expiresAt - claims.issuedAt > expected.maxTtlSeconds) return { ok: false, reason: 'too_long' };
  if (claims.username !== username) return { ok: false, reason: 'wrong_user' };
  if (claims.nodeId !== expected.nodeId) return { ok: false, reason: 'wrong_node' };
  return { ok: true, claims };
}
