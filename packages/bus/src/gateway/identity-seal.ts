// Gateway identities' private keys at rest: AES-256-GCM under a key derived (HKDF-SHA256) from a generated
// secret that every replica reads from the vault, bound to the account and the identity's signing key, so a
// sealed blob copied to another account's record does not open.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  canonicalBytes,
  fromBase64Url,
  type Identity,
  identityFromJson,
  identityToJson,
  signPubHex,
  toBase64Url,
} from '../crypto/index.js';

const DOMAIN = 'homeport-bus/gateway-identity/v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface IdentitySealer {
  seal(userId: string, identity: Identity): string;
  /** The identity, or an error when the blob was not sealed by this key for this account and key. */
  open(userId: string, signPub: string, sealed: string): Identity;
}

/** A sealer from the vault's secret (text of at least 32 random bytes). */
export function createIdentitySealer(secret: string): IdentitySealer {
  const key = Buffer.from(hkdfSync('sha256', secret, 'homeport-bus', DOMAIN, 32));
  const aad = (userId: string, signPub: string) => canonicalBytes(DOMAIN, [userId, signPub.toLowerCase()]);
  return {
    seal(userId, identity) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(userId, signPubHex(identity)));
      const body = Buffer.concat([cipher.update(identityToJson(identity), 'utf8'), cipher.final()]);
      return toBase64Url(Buffer.concat([iv, body, cipher.getAuthTag()]));
    },
    open(userId, signPub, sealed) {
      const bytes = fromBase64Url(sealed);
      if (!bytes || bytes.byteLength <= IV_BYTES + TAG_BYTES)
        throw new Error(`the gateway identity of ${userId} is not a sealed identity`);
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.byteLength - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad(userId, signPub));
      decipher.setAuthTag(tag);
      const json = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.byteLength - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
      const identity = identityFromJson(json);
      if (signPubHex(identity) !== signPub.toLowerCase())
        throw new Error(`the gateway identity of ${userId} does not match its recorded key`);
      return identity;
    },
  };
}
