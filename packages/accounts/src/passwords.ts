// Password hashing: argon2id for new hashes, bcrypt (betterNAS's) still verified and upgraded at next login.
// argon2id runs on the password threads (password-pool.ts: one per core, below the event loop's priority);
// bcrypt, met only once per imported account, on libuv's pool. A login never blocks the event loop.

import { randomBytes } from 'node:crypto';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { createPasswordPool, type PasswordPool } from './password-pool.js';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id in @node-rs/argon2's (const, so not importable here) Algorithm enum.
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let pool: PasswordPool | undefined;
/** The process's password threads, started on the first hash or verification. */
const passwordPool = (): PasswordPool => {
  pool ??= createPasswordPool();
  return pool;
};

export function hashPassword(password: string): Promise<string> {
  return passwordPool().hash(password, ARGON2_OPTIONS);
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
      return {
        ok: await passwordPool().verify(stored, password),
        needsUpgrade: !stored.startsWith('$argon2id$'),
      };
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
    await passwordPool().verify(await decoy, 'not the password');
  };
}
