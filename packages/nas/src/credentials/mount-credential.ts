// WebDAV mount credentials: HMAC-signed claims the agent verifies locally, in constant time, without a
// round trip to the control plane. Password = base64url(claims JSON) "." base64url(HMAC-SHA256).

import { createHmac, timingSafeEqual } from 'node:crypto';

export interface MountClaims {
  v: 1;
  nodeId: string;
  /** URL path prefix of the export on the agent, with trailing slash (`/dav/photos/`). */
  mountPath: string;
  /** The Basic-auth username the credential goes with (`mount-<random>`). */
  username: string;
  readonly: boolean;
  /** Issued to an admin: may break other principals' WebDAV locks (RFC 4918 §9.11). */
  admin: boolean;
  /** Unix seconds. */
  expiresAt: number;
}

/** macOS WebDAVFS cuts Basic passwords at 255 bytes; stay well under. */
export const MAX_PASSWORD_BYTES = 250;

/**
 * The HMAC-SHA256 tag is truncated to 128 bits (RFC 2104 §5 allows it; forging still takes 2^128 tries)
 * to leave room for the claims under Finder's limit.
 */
const TAG_BYTES = 16;

const tag = (key: Buffer, payload: string) =>
  createHmac('sha256', key).update(payload).digest().subarray(0, TAG_BYTES);

/**
 * The key a node verifies with: derived per node from the control plane's secret, so a node (which
 * holds its own key) cannot mint credentials for another node.
 */
export function nodeDavKey(davAuthSecret: string, nodeId: string): Buffer {
  return createHmac('sha256', davAuthSecret).update(`homeport-dav-node:${nodeId}`).digest();
}

export function signMountCredential(claims: MountClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const password = `${payload}.${tag(key, payload).toString('base64url')}`;
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new Error(`mount credential is ${Buffer.byteLength(password)} bytes; Finder cuts passwords at 255`);
  }
  return password;
}

export type CredentialCheck =
  | { ok: true; claims: MountClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'wrong_user' | 'wrong_node' };

const isClaims = (value: unknown): value is MountClaims => {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>; // fields checked one by one below
  return (
    claims.v === 1 &&
    typeof claims.nodeId === 'string' &&
    typeof claims.mountPath === 'string' &&
    typeof claims.username === 'string' &&
    typeof claims.readonly === 'boolean' &&
    typeof claims.admin === 'boolean' &&
    typeof claims.expiresAt === 'number'
  );
};

/** Verifies signature first (constant time), then expiry, user and node. */
export function verifyMountCredential(
  username: string,
  password: string,
  key: Buffer,
  expected: { nodeId: string; nowSeconds: number },
): CredentialCheck {
  if (password.length > 1024) return { ok: false, reason: 'malformed' };
  const dot = password.indexOf('.');
  if (dot <= 0) return { ok: false, reason: 'malformed' };
  const payload = password.slice(0, dot);
  const tagText = password.slice(dot + 1);
  const given = Buffer.from(tagText, 'base64url');
  const wanted = tag(key, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { ok: false, reason: 'bad_signature' };
  // base64 decoding ignores the last character's spare bits; only the canonical spelling is the credential.
  if (given.toString('base64url') !== tagText) return { ok: false, reason: 'malformed' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' }; // signed by us yet unparsable: treat as garbage
  }
  if (!isClaims(claims)) return { ok: false, reason: 'malformed' };
  if (claims.expiresAt <= expected.nowSeconds) return { ok: false, reason: 'expired' };
  if (claims.username !== username) return { ok: false, reason: 'wrong_user' };
  if (claims.nodeId !== expected.nodeId) return { ok: false, reason: 'wrong_node' };
  return { ok: true, claims };
}
