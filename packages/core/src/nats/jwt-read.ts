// NATS JWTs read back from the data dir, checked as @nats-io/jwt's decode checks them (header, issuer key,
// Ed25519 signature) but with Node's native Ed25519: @nats-io/nkeys verifies in pure JavaScript (tweetnacl),
// and reading the identity's JWTs and service credentials that way was ~15 % of `homeport start` (issue 15).

import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { ClaimsData } from '@nats-io/jwt';
import { fromPublic } from '@nats-io/nkeys';
import { base32Decode } from './native-keys.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** NATS JWT algorithms: v2 signs `header.payload`, v1 the payload alone. */
const ALG_V1 = 'ed25519';
const ALG_V2 = 'ed25519-nkey';

/** The Ed25519 key behind an nkey public key (`O…`, `A…`, `U…`); nkeys checks its prefix and checksum first. */
function ed25519Key(nkey: string): KeyObject {
  fromPublic(nkey);
  // Decoded: one prefix byte, the 32 key bytes, a 2-byte CRC (checked above).
  const raw = base32Decode(nkey).subarray(1, 33);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

const json = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/**
 * The claims of a NATS JWT whose signature verifies with its issuer's key; throws like @nats-io/jwt's
 * `decode` on anything else (wrong shape, header, key or signature).
 */
export function decodeVerified<T>(jwt: string): ClaimsData<T> {
  const chunks = jwt.split('.');
  const [header, payload, signature] = chunks;
  if (chunks.length !== 3 || header === undefined || payload === undefined || signature === undefined)
    throw new Error(`invalid jwt - ${chunks.length} chunks`);
  const h = json(header) as { typ?: unknown; alg?: unknown };
  if (h.typ !== 'jwt' && h.typ !== 'JWT') throw new Error(`not a nats jwt - typ ${String(h.typ)}`);
  if (h.alg !== ALG_V1 && h.alg !== ALG_V2) throw new Error(`not a nats jwt - alg ${String(h.alg)}`);
  // Checked just below: a JWT whose issuer key does not verify its signature is refused.
  const claims = json(payload) as ClaimsData<T>;
  if (typeof claims.iss !== 'string') throw new Error('invalid jwt - no issuer');
  const signed = Buffer.from(h.alg === ALG_V2 ? `${header}.${payload}` : payload);
  if (!verify(null, signed, ed25519Key(claims.iss), Buffer.from(signature, 'base64url')))
    throw new Error('sig verification failed');
  return claims;
}

/** The user JWT of a `.creds` file (the first armoured block), verified as above. */
export function credsClaims<T>(creds: string): ClaimsData<T> {
  const block = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/i.exec(creds);
  if (!block?.[1]) throw new Error('bad credentials');
  return decodeVerified<T>(block[1].trim());
}
