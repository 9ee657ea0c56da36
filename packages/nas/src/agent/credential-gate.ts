// Decides who may use an export: Basic-auth mount credentials verified locally (HMAC, expiry, node,
// export, revocations), with a small cache so a busy mount does not re-verify on every request.

import { type MountClaims, verifyMountCredential } from '../credentials/mount-credential.js';

export type GateResult =
  | { ok: true; claims: MountClaims }
  | {
      ok: false;
      reason:
        | 'missing'
        | 'malformed'
        | 'bad_signature'
        | 'expired'
        | 'wrong_user'
        | 'wrong_node'
        | 'revoked'
        | 'wrong_export';
    };

export interface CredentialGate {
  check(authorization: string | undefined, mountPath: string): GateResult;
  setKey(nodeId: string, key: Buffer): void;
  setRevoked(usernames: readonly string[]): void;
  readonly ready: boolean;
}

const CACHE_LIMIT = 1024;

export function createCredentialGate(clock: () => number = Date.now): CredentialGate {
  let nodeId: string | undefined;
  let key: Buffer | undefined;
  let revoked = new Set<string>();
  // Keyed by the whole Authorization header: a hit means the same bytes were verified before.
  const verified = new Map<string, MountClaims>();

  return {
    get ready() {
      return key !== undefined;
    },
    setKey(id, newKey) {
      nodeId = id;
      key = newKey;
      verified.clear();
    },
    setRevoked(usernames) {
      revoked = new Set(usernames);
    },
    check(authorization, mountPath) {
      if (authorization === undefined || !authorization.startsWith('Basic '))
        return { ok: false, reason: 'missing' };
      const nowSeconds = Math.floor(clock() / 1000);
      let claims = verified.get(authorization);
      if (!claims) {
        if (!key || !nodeId) return { ok: false, reason: 'missing' };
        const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon <= 0) return { ok: false, reason: 'malformed' };
        const result = verifyMountCredential(decoded.slice(0, colon), decoded.slice(colon + 1), key, {
          nodeId,
          nowSeconds,
        });
        if (!result.ok) return result;
        claims = result.claims;
        if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
        verified.set(authorization, claims);
      }
      if (claims.expiresAt <= nowSeconds) {
        verified.delete(authorization);
        return { ok: false, reason: 'expired' };
      }
      if (revoked.has(claims.username)) return { ok: false, reason: 'revoked' };
      // A credential opens the one export it was issued for.
      if (claims.mountPath !== mountPath) return { ok: false, reason: 'wrong_export' };
      return { ok: true, claims };
    },
  };
}
