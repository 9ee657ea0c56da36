// Decides who may use an export: mount credentials verified locally (HMAC with a known key generation,
// lifetime, node, export identity, revoked ids), sent as Basic auth (a mount) or as a Bearer token (the
// browser), with a small cache so a busy mount does not re-verify on every request. It also holds the
// origins whose pages may call the agent (CORS), which reach it by the same path as keys and revocations.

import {
  type CredentialRefusal,
  MAX_TOKEN_LENGTH,
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
  /**
   * `authorization` is the Authorization header: `Basic base64(user:password)` or `Bearer <password>` (the
   * username is then the one the verified claims carry).
   */
  check(authorization: string | undefined, mountPath: string): GateResult;
  setKeys(keys: GateKeys): void;
  /** Which export (by control-plane id) each mount path serves; an unmapped path admits nobody. */
  setExports(exportIds: ReadonlyMap<string, string>): void;
  setRevoked(ids: readonly string[]): void;
  /** Origins (`scheme://host[:port]`) whose pages may call the agent from a browser. */
  setAllowedOrigins(origins: readonly string[]): void;
  allowsOrigin(origin: string): boolean;
  /**
   * Calls `listener` after every change of keys, exports or revocations, so an answer that lasts (a folder
   * watch) re-checks its credential at once instead of on its next timer. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void;
  readonly ready: boolean;
}

export interface CredentialGateOptions {
  clock?: () => number;
  /** Told when a credential names a newer key than this agent has (the key was rotated meanwhile). */
  onUnknownKey?: (keyId: number) => void;
}

const CACHE_LIMIT = 1024;

/** Base64 of a header longer than this cannot hold a credential verification would accept. */
const MAX_BASIC_LENGTH = Math.ceil(((MAX_TOKEN_LENGTH + 200) * 4) / 3);

function basicPair(encoded: string): { username: string; password: string } | undefined {
  if (encoded.length > MAX_BASIC_LENGTH) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * A Bearer token is the password alone; its username is read from the claims only to call the verifier,
 * which trusts nothing in them until the tag matched (a forged `u` fails the signature like any other field).
 */
function bearerPair(token: string): { username: string; password: string } | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    // Checked just below: only a string `u` is used.
    const claims = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as unknown;
    const username =
      typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>).u : undefined;
    return typeof username === 'string' && username !== '' ? { username, password: token } : undefined;
  } catch {
    return undefined; // not JSON: malformed, answered as such by the caller
  }
}

export function createCredentialGate(options: CredentialGateOptions = {}): CredentialGate {
  const clock = options.clock ?? Date.now;
  let current: GateKeys | undefined;
  let keys = new Map<number, NodeKey>();
  let exportIds: ReadonlyMap<string, string> = new Map();
  let revoked = new Set<string>();
  let origins = new Set<string>();
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  // Keyed by the whole Authorization header: a hit means the same bytes were verified before.
  const verified = new Map<string, MountClaims>();

  const keyFor = (keyId: number, nowSeconds: number): Buffer | undefined => {
    const entry = keys.get(keyId);
    if (!entry || (entry.notAfter !== null && entry.notAfter <= nowSeconds)) return undefined;
    return entry.key;
  };

  const verify = (authorization: string, nowSeconds: number): GateResult => {
    if (!current) return { ok: false, reason: 'missing' };
    const presented = authorization.startsWith('Bearer ')
      ? bearerPair(authorization.slice(7).trim())
      : basicPair(authorization.slice(6).trim());
    if (presented === undefined) return { ok: false, reason: 'malformed' };
    const result = verifyMountCredential(presented.username, presented.password, {
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
      changed();
    },
    setExports(next) {
      exportIds = next;
      changed();
    },
    setRevoked(ids) {
      revoked = new Set(ids);
      changed();
    },
    setAllowedOrigins(next) {
      origins = new Set(next);
    },
    allowsOrigin: (origin) => origins.has(origin),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    check(authorization, mountPath) {
      if (
        authorization === undefined ||
        !(authorization.startsWith('Basic ') || authorization.startsWith('Bearer '))
      )
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
