// Secret values of the deploy module at rest (env variables marked secret, registry passwords): sealed with
// AES-256-GCM under a key from the module's vault, the name they belong to authenticated with them (a
// sealed value copied to another stage or variable does not open). And masking, so a secret value that an
// app or a registry echoes never reaches a log line, an event or an export.

import { randomBytes } from 'node:crypto';
import { type Sealed, type SecretVault, seal, unseal } from '@homeport/core';
import { DeployError } from './errors.js';

const PREFIX = 'v1';

export interface SecretBox {
  /** `name` binds the value to its place (`env:<stageId>:<NAME>`, `registry:<projectId>`). */
  seal(name: string, plaintext: string): string;
  open(name: string, sealed: string): string;
}

export async function openSecretBox(vault: SecretVault): Promise<SecretBox> {
  const key = Buffer.from(
    await vault.get('deploy-secrets-key', () => randomBytes(32).toString('base64url')),
    'base64url',
  );
  if (key.length !== 32) throw new Error('deploy-secrets-key in the vault is not 32 bytes');
  return {
    seal(name, plaintext) {
      const sealed = seal(key, name, plaintext);
      return [PREFIX, sealed.iv, sealed.tag, sealed.data].join('.');
    },
    open(name, text) {
      const [prefix, iv, tag, data] = text.split('.');
      if (prefix !== PREFIX || !iv || !tag || data === undefined)
        throw new DeployError('deploy_unprocessable', `the sealed value of ${name} is not readable`);
      const sealed: Sealed = { iv, tag, data };
      try {
        return unseal(key, name, sealed);
      } catch (cause) {
        throw new DeployError(
          'deploy_unprocessable',
          `the sealed value of ${name} does not open with this vault's key`,
          {
            cause,
          },
        );
      }
    },
  };
}

export const envSecretName = (stageId: string, variable: string): string => `env:${stageId}:${variable}`;
export const registrySecretName = (projectId: string): string => `registry:${projectId}`;

/** Masks every value of `secrets` (4 characters or longer: shorter ones would mask ordinary text) in `text`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) if (secret.length >= 4) masked = masked.split(secret).join('********');
  return masked;
}
