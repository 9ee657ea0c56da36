// The server's username and password rules, for forms to say what is wrong before sending. They come from
// the one module the server checks with too (`@homeport/accounts/rules`), so the two cannot drift apart.
import {
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_BYTES,
  passwordProblem,
  usernameProblem,
} from '@homeport/accounts/rules';

export { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES };

/** Returns a message for a person, or undefined when the username is acceptable. */
export const validateUsername = usernameProblem;

/** The limits are in UTF-8 bytes, as the server counts them, not in characters. */
export const validatePassword = passwordProblem;
