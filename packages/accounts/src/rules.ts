// The username and password rules, in one place for the server (service and route schemas) and the web UI's
// forms. Plain TypeScript with no Node or server imports, so the web build can import it
// (`@homeport/accounts/rules`).

/** Usernames: 3–64 of A–Z a–z 0–9 _ -, unique ignoring case (the uniqueness is the store's job). */
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 64;
/** The characters a username may use, without the length (JSON Schema `pattern` form). */
export const USERNAME_CHARACTERS = '^[A-Za-z0-9_-]+$';
export const USERNAME_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

/** Passwords are counted in UTF-8 bytes (what the hash reads), not characters. */
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 1024;

export const USERNAME_RULE_TEXT = '3–64 characters of A–Z, a–z, 0–9, _ and -';
export const PASSWORD_RULE_TEXT = `${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes`;

const encoder = new TextEncoder();

/** UTF-8 length of a string, as the server and the hash count it. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** What is wrong with a new username, in words for a person; undefined when it is acceptable. */
export function usernameProblem(username: string): string | undefined {
  if (username.length < USERNAME_MIN_LENGTH)
    return `Username must be at least ${USERNAME_MIN_LENGTH} characters`;
  if (username.length > USERNAME_MAX_LENGTH)
    return `Username must be at most ${USERNAME_MAX_LENGTH} characters`;
  if (!USERNAME_PATTERN.test(username)) return 'Username may use only letters A–Z, digits, "_" and "-"';
  return undefined;
}

/** What is wrong with a new password, in words for a person; undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const bytes = utf8Length(password);
  if (bytes < PASSWORD_MIN_BYTES) return `Password must be at least ${PASSWORD_MIN_BYTES} characters`;
  if (bytes > PASSWORD_MAX_BYTES) return `Password must be at most ${PASSWORD_MAX_BYTES} bytes`;
  return undefined;
}
