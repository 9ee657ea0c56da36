// Where generated secrets (the node bootstrap token, the DAV key root, …) live, so every replica agrees on
// them: files in the data dir on SQLite (one machine), the store itself on KV — sealed with the secret key
// (AES-256-GCM), which is therefore required configuration there, and created once with `create` (the first
// replica's value wins; the others read it).

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { isConflict, type KvStore } from './kv.js';
import { persistedSecret } from './secret-files.js';

export interface SecretVault {
  /** The secret `name`, made with `generate()` the first time anyone asks. */
  get(name: string, generate: () => string): Promise<string>;
}

/** One machine: `<dataDir>/secrets/<name>`, mode 0600. */
export function fileVault(dataDir: string): SecretVault {
  return { get: async (name, generate) => persistedSecret(dataDir, name, generate) };
}

export interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

const isSealed = (value: unknown): value is Sealed => {
  const sealed = value as Partial<Sealed> | undefined;
  return typeof sealed?.iv === 'string' && typeof sealed.tag === 'string' && typeof sealed.data === 'string';
};

/** The vault's own key, derived from the secret key so it is never the key itself. */
const vaultKey = (secretKey: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secretKey, 'homeport', 'homeport-kv-secret-vault', 32));

export function seal(key: Buffer, name: string, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The name is authenticated too: a sealed value moved to another name does not open.
  cipher.setAAD(Buffer.from(name));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    data: data.toString('base64url'),
  };
}

export function unseal(key: Buffer, name: string, sealed: Sealed): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(name));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}

/** Several replicas: bucket `core_secrets`, values sealed with a key derived from HOMEPORT_SECRET_KEY. */
export function kvVault(kv: KvStore, secretKey: string): SecretVault {
  const key = vaultKey(secretKey);
  return {
    async get(name, generate) {
      const bucket = await kv.bucket('secrets');
      const open = (value: unknown): string => {
        if (!isSealed(value)) throw new Error(`the stored secret ${name} is not a sealed value`);
        try {
          return unseal(key, name, value);
        } catch {
          throw new Error(
            `the stored secret ${name} does not open with this HOMEPORT_SECRET_KEY: every replica needs the same one`,
          );
        }
      };
      const stored = await bucket.get(name);
      if (stored) return open(stored.value);
      try {
        await bucket.create(name, seal(key, name, generate()));
      } catch (error) {
        if (!isConflict(error)) throw error; // another replica made it first: use theirs
      }
      const now = await bucket.get(name);
      if (!now) throw new Error(`the stored secret ${name} vanished`);
      return open(now.value);
    },
  };
}
