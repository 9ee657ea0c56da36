// Client-side copies of the server's account rules, so a form can say what is wrong before sending it.
// The server checks again; these only save a round trip.

const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 1024;

/** Returns a message for a person, or undefined when the username is acceptable. */
export function validateUsername(username: string): string | undefined {
  if (username.length < 3) return 'Username must be at least 3 characters';
  if (username.length > 64) return 'Username must be at most 64 characters';
  if (!USERNAME_PATTERN.test(username)) return 'Use only letters, digits, "_" and "-"';
  return undefined;
}

/** The limits are in UTF-8 bytes, as the server counts them, not in characters. */
export function validatePassword(password: string): string | undefined {
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < PASSWORD_MIN_BYTES) return `Password must be at least ${PASSWORD_MIN_BYTES} characters`;
  if (bytes > PASSWORD_MAX_BYTES) return `Password must be at most ${PASSWORD_MAX_BYTES} bytes`;
  return undefined;
}
