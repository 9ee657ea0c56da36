// Generated secrets (the node bootstrap token, the DAV key root, …) as records for `homeport migrate to-kv`:
// on SQLite they are files in `<data-dir>/secrets/`, on KV sealed values in `core_secrets` — read and written
// only through core's vault, so the sealing stays core's alone.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KvStore, kvVault } from '@homeport/core';
import type { RecordKind } from './to-kv-copy.js';

export interface SecretRecord {
  name: string;
  value: string;
}

/** Names the file vault uses (persistedSecret refuses others; its temporary files have other names). */
const SECRET_NAME = /^[a-z0-9-]+$/;

/**
 * Not copied: the accounts module's own key material on SQLite (used when HOMEPORT_SECRET_KEY is unset). On
 * KV that role is HOMEPORT_SECRET_KEY itself, which must never sit in the store it unseals.
 */
export const SQLITE_SECRET_KEY_FILE = 'secret-key';

const byName = (a: SecretRecord, b: SecretRecord) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The secrets of a SQLite Homeport: `<dataDir>/secrets/<name>` (none when the folder is missing). */
export function readFileSecrets(dataDir: string): SecretRecord[] {
  const folder = join(dataDir, 'secrets');
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .filter((name) => SECRET_NAME.test(name) && name !== SQLITE_SECRET_KEY_FILE)
    .map((name) => ({ name, value: readFileSync(join(folder, name), 'utf8').trim() }))
    .sort(byName);
}

/**
 * The secrets on KV (`kv` is core's store, bucket `core_secrets`), opened with `secretKey`. A stored value
 * that does not open with it fails the read: this store was set up with another key, and copying over it
 * would leave replicas that still hold that key unable to read their secrets.
 */
export function kvSecrets(kv: KvStore, secretKey: string): RecordKind<SecretRecord> {
  const vault = kvVault(kv, secretKey);
  const bucket = () => kv.bucket('secrets');
  /** Stores `value` under `name` (the vault creates only a missing secret) and reads it back. */
  const store = async ({ name, value }: SecretRecord) => (await vault.get(name, () => value)) === value;
  return {
    name: 'secrets',
    key: (secret) => secret.name,
    secretFields: ['value'],
    async read() {
      const names = await (await bucket()).keys();
      const secrets: SecretRecord[] = [];
      for (const name of names) {
        const value = await vault.get(name, () => {
          throw new Error(`the stored secret ${name} vanished while it was read`);
        });
        secrets.push({ name, value });
      }
      return secrets.sort(byName);
    },
    async create(secret) {
      if (!(await store(secret)))
        throw new Error(`secret ${secret.name}: another value was stored meanwhile`);
    },
    async update(wanted) {
      await (await bucket()).delete(wanted.name);
      return store(wanted);
    },
    async remove(current) {
      await (await bucket()).delete(current.name);
      return true;
    },
  };
}

/**
 * A warning when the SQLite Homeport generated its own secret key and the one given differs: what it sealed
 * with it in the database (a saved OIDC client secret, ID tokens kept for logout) opens only with that key.
 * Only a warning: that Homeport may have run with HOMEPORT_SECRET_KEY set (then the file is left over).
 */
export function secretKeyWarning(dataDir: string, secretKey: string): string | undefined {
  const file = join(dataDir, 'secrets', SQLITE_SECRET_KEY_FILE);
  if (!existsSync(file) || readFileSync(file, 'utf8').trim() === secretKey) return undefined;
  return `the secret key given is not the one this SQLite Homeport generated (${file}): unless it ran with HOMEPORT_SECRET_KEY set, values it sealed (a saved OIDC client secret, ID tokens kept for logout) will not open on KV — run again with --secret-key-file ${file} and give the replicas that key`;
}
