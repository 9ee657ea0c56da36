// Encrypts secrets kept in the database (the OIDC client secret, ID tokens for logout) with AES-256-GCM, so a
// copied database file or backup does not hand them out without the key.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SecretBox {
  /** `purpose` is bound to the ciphertext: a value sealed for one field cannot be replayed into another. */
  seal(plaintext: string, purpose: string): string;
  /** Throws when the value was sealed with another key or for another purpose, or was altered. */
  open(sealed: string, purpose: string): string;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Builds the box from key material (HOMEPORT_SECRET_KEY or the generated key file). The material is any
 * string of at least 32 characters; HKDF turns it into the 256-bit AES key, so an operator may choose a
 * passphrase-like value without weakening the cipher's key size.
 *
 * @example
 *   const box = createSecretBox(() => settings.secretKey ?? persistedSecret(dataDir, 'secret-key', generate));
 *   const sealed = box.seal(clientSecret, 'oidc.clientSecret');
 */
export function createSecretBox(material: () => string): SecretBox {
  let key: Buffer | undefined;
  // Read lazily: commands that never touch a secret should not create the key file.
  const keyOf = (): Buffer => {
    key ??= Buffer.from(hkdfSync('sha256', material(), Buffer.alloc(0), 'homeport secret box v1', 32));
    return key;
  };
  return {
    seal(plaintext, purpose) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyOf(), iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, purpose) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || ivText === undefined || bodyText === undefined)
        throw new Error('not a sealed secret');
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', keyOf(), iv);
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
