// Password hashing: argon2id for new hashes, bcrypt (betterNAS's) still verified and upgraded at next login.
// Both run on libuv's thread pool, so a login never blocks the event loop.

import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id in @node-rs/argon2's (const, so not importable here) Algorithm enum.
const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2Hash(password, ARGON2_OPTIONS);
}

export interface PasswordCheck {
  ok: boolean;
  /** True when the stored hash is an older scheme that should be replaced by argon2id. */
  needsUpgrade: boolean;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$/;

export async function verifyPassword(stored: string, password: string): Promise<PasswordCheck> {
  if (BCRYPT.test(stored)) {
    // bcrypt only reads the first 72 bytes; a longer password would match a different one's prefix.
    if (Buffer.byteLength(password, 'utf8') > 72) return { ok: false, needsUpgrade: false };
    return { ok: await bcryptVerify(password, stored), needsUpgrade: true };
  }
  if (stored.startsWith('$argon2')) {
    try {
      return { ok: await argon2Verify(stored, password), needsUpgrade: !stored.startsWith('$argon2id$') };
    } catch {
      return { ok: false, needsUpgrade: false }; // a malformed stored hash matches nothing
    }
  }
  return { ok: false, needsUpgrade: false };
}

/**
 * Spends the same time as a real verification, so a login for an unknown user cannot be told apart by
 * timing from one with a wrong password.
 */
export function createDecoyVerifier(): () => Promise<void> {
  let decoy: Promise<string> | undefined;
  return async () => {
    decoy ??= hashPassword(randomBytes(16).toString('hex'));
    await argon2Verify(await decoy, 'not the password');
  };
}
