// Mount credentials in betterNAS's format, for nodes that run a betterNAS agent (shared/reference/
// betternas-compat.md): claims with the mount path and an RFC 3339 expiry, a full HMAC-SHA256 tag keyed by
// the raw secret every betterNAS node shares. Homeport agents never accept this format (see
// mount-credential.ts); the secret is a separate setting from the root of their per-node keys.

import { createHmac, timingSafeEqual } from 'node:crypto';

export interface BetterNasClaims {
  v: 1;
  nodeId: string;
  mountPath: string;
  username: string;
  readonly: boolean;
  /** RFC 3339, UTC, whole seconds: `2026-12-01T17:23:37Z`. */
  expiresAt: string;
}

/** RFC 3339 in UTC to the second, the form betterNAS writes (and Homeport's profiles use for both formats). */
export const rfc3339Seconds = (epochSeconds: number): string =>
  new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const tag = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

export function signBetterNasCredential(claims: BetterNasClaims, secret: string): string {
  // Field order is part of the format: betterNAS agents sign and compare the exact bytes.
  const ordered: BetterNasClaims = {
    v: 1,
    nodeId: claims.nodeId,
    mountPath: claims.mountPath,
    username: claims.username,
    readonly: claims.readonly,
    expiresAt: claims.expiresAt,
  };
  const payload = Buffer.from(JSON.stringify(ordered)).toString('base64url');
  return `${payload}.${tag(secret, payload).toString('base64url')}`;
}

/**
 * Checks a credential the way a betterNAS agent does; Homeport itself only signs this format, the check is
 * here for its tests and for anyone writing an agent against it.
 */
export function verifyBetterNasCredential(
  username: string,
  password: string,
  expected: { secret: string; nodeId: string; mountPath: string; nowMs: number },
): BetterNasClaims | undefined {
  const [payload, tagText, extra] = password.split('.');
  if (!payload || !tagText || extra !== undefined) return undefined;
  const given = Buffer.from(tagText, 'base64url');
  const wanted = tag(expected.secret, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return undefined;
  let claims: Partial<BetterNasClaims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<BetterNasClaims>;
  } catch {
    return undefined;
  }
  const expiry = Date.parse(claims.expiresAt ?? '');
  if (
    claims.v !== 1 ||
    !claims.nodeId ||
    !claims.mountPath ||
    !claims.username ||
    typeof claims.readonly !== 'boolean' ||
    Number.isNaN(expiry) ||
    expiry <= expected.nowMs ||
    claims.username !== username ||
    claims.nodeId !== expected.nodeId ||
    claims.mountPath !== expected.mountPath
  ) {
    return undefined;
  }
  return claims as BetterNasClaims;
}
