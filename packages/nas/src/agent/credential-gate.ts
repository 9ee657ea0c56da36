// Decides who may use an export: Basic-auth mount credentials verified locally (HMAC with a known key
// generation, lifetime, node, export identity, revoked ids), with a small cache so a busy mount does not
// re-verify on every request.

import {
  type CredentialRefusal,
  type MountClaims,
  verifyMountCredential,
} from '../credentials/mount-credential.js';

export type GateResult =
  | { ok: true; claims: MountClaims }
  | { ok: false; reason: CredentialRefusal | 'missing' | 'revoked' | 'wrong_export' | 'unmapped_export' };

/** One generation of the node's key; `notAfter` (Unix seconds) ends a retired generation's grace. */
export interface NodeKey {
  id: number;
  key: Buffer;
  notAfter: number | null;
}

export interface GateKeys {
  nodeId: string;
  keys: readonly NodeKey[];
  maxTtlSeconds: number;
}

export interface CredentialGate {
  check(authorization: string | undefined, mountPath: string): GateResult;
  setKeys(keys: GateKeys): void;
  /** Which export (by control-plane id) each mount path serves; an unmapped path admits nobody. */
  setExports(exportIds: ReadonlyMap<string, string>): void;
  setRevoked(ids: readonly string[]): void;
  readonly ready: boolean;
}

export interface CredentialGateOptions {
  clock?: () => number;
  /** Told when a credential names a newer key than this agent has (the key was rotated meanwhile). */
  onUnknownKey?: (keyId: number) => void;
}

const CACHE_LIMIT = 1024;

export function createCredentialGate(options: CredentialGateOptions = {}): CredentialGate {
  const clock = options.clock ?? Date.now;
  let current: GateKeys | undefined;
  let keys = new Map<number, NodeKey>();
  let exportIds: ReadonlyMap<string, string> = new Map();
  let revoked = new Set<string>();
  // Keyed by the whole Authorization header: a hit means the same bytes were verified before.
  const verified = new Map<string, MountClaims>();

  const keyFor = (keyId: number, nowSeconds: number): Buffer | undefined => {
    const entry = keys.get(keyId);
    if (!entry || (entry.notAfter !== null && entry.notAfter <= nowSeconds)) return undefined;
    return entry.key;
  };

  const verify = (authorization: string, nowSeconds: number): GateResult => {
    if (!current) return { ok: false, reason: 'missing' };
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { ok: false, reason: 'malformed' };
    const result = verifyMountCredential(decoded.slice(0, colon), decoded.slice(colon + 1), {
      nodeId: current.nodeId,
      nowSeconds,
      maxTtlSeconds: current.maxTtlSeconds,
      keyFor: (keyId) => keyFor(keyId, nowSeconds),
    });
    if (!result.ok) {
      const newest = Math.max(0, ...keys.keys());
      if (result.reason === 'unknown_key' && result.keyId !== undefined && result.keyId > newest)
        options.onUnknownKey?.(result.keyId);
      return { ok: false, reason: result.reason };
    }
    if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string);
    verified.set(authorization, result.claims);
    return result;
  };

  return {
    get ready() {
      return current !== undefined;
    },
    setKeys(next) {
      current = next;
      keys = new Map(next.keys.map((entry) => [entry.id, entry]));
      verified.clear();
    },
    setExports(next) {
      exportIds = next;
    },
    setRevoked(ids) {
      revoked = new Set(ids);
    },
    check(authorization, mountPath) {
      if (authorization === undefined || !authorization.startsWith('Basic '))
        return { ok: false, reason: 'missing' };
      const nowSeconds = Math.floor(clock() / 1000);
      let claims = verified.get(authorization);
      if (claims && (claims.expiresAt <= nowSeconds || !keyFor(claims.keyId, nowSeconds))) {
        verified.delete(authorization);
        return { ok: false, reason: claims.expiresAt <= nowSeconds ? 'expired' : 'unknown_key' };
      }
      if (!claims) {
        const result = verify(authorization, nowSeconds);
        if (!result.ok) return result;
        claims = result.claims;
      }
      if (revoked.has(claims.username)) return { ok: false, reason: 'revoked' };
      // A credential opens the one export it was issued for, whatever mount path that export has now.
      const exportId = exportIds.get(mountPath);
      if (exportId === undefined) return { ok: false, reason: 'unmapped_export' };
      if (claims.exportId !== exportId) return { ok: false, reason: 'wrong_export' };
      return { ok: true, claims };
    },
  };
}
