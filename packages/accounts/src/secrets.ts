// Random tokens and identifiers, and the hashing and constant-time comparison of secrets.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Session token: 32 random bytes, hex (as betterNAS issued them). */
export function newSessionToken(): string {
  return randomBytes(32).toString('hex');
}

/** API token: prefixed so secret scanners recognise it, 32 random bytes base64url. */
export function newApiToken(): string {
  return `hp_${randomBytes(32).toString('base64url')}`;
}

/** Short random id with a type prefix (`usr_…`, `ses_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** Only this digest is stored: a database leak does not hand out live tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A strong generated password for the first admin: 18 random bytes, base64url (24 characters). */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}
