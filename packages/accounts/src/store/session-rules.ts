// When a stored session counts as live, shared by both stores so they cannot drift apart.

/**
 * Whether a user's `sessionsNotBefore` ended a session created at `createdAt`. A creation time that does not
 * parse counts as ended: an unreadable record must not keep someone signed in.
 */
export function sessionEnded(createdAt: string, notBefore: number | undefined | null): boolean {
  if (notBefore === undefined || notBefore === null) return false;
  return !(Date.parse(createdAt) >= notBefore);
}

/** Expired at `now`: `expiresAt` is the first millisecond the session is no longer valid. */
export const expiredAt = (expiresAt: number, now: number): boolean => expiresAt <= now;
