// The closed set of errors the accounts package raises, each bound to its kind (the HTTP layer maps kinds
// to statuses in one place), so a throw site names only the code and a message.

import { type ErrorKind, errorClass } from '@homeport/core';

const KINDS = {
  invalid_request: 'bad_request',
  /** A wrong username or password — and a disabled account's right one: sign-in is no oracle. */
  invalid_credentials: 'unauthorized',
  /** Changing one's own password: the current password given is wrong (403, not 401: the session is fine). */
  wrong_password: 'forbidden',
  /** Changing one's own password without having one (a provider-only account). */
  password_not_set: 'conflict',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  admin_required: 'forbidden',
  /** OIDC sign-in of a disabled account (password sign-in answers invalid_credentials instead). */
  user_disabled: 'forbidden',
  registration_disabled: 'forbidden',
  username_taken: 'conflict',
  user_not_found: 'not_found',
  session_not_found: 'not_found',
  token_not_found: 'not_found',
  last_admin: 'conflict',
  too_many_attempts: 'rate_limited',
  busy: 'unavailable',
  // Authentication settings and OIDC (the callback turns the oidc_* codes into /login?error=<code>).
  local_login_disabled: 'forbidden',
  admin_lockout: 'conflict',
  setting_managed: 'conflict',
  identity_not_found: 'not_found',
  oidc_disabled: 'forbidden',
  oidc_misconfigured: 'unprocessable',
  oidc_unavailable: 'unavailable',
  oidc_state_invalid: 'bad_request',
  oidc_denied: 'forbidden',
  oidc_provider_error: 'unauthorized',
  oidc_claim_missing: 'forbidden',
  oidc_not_allowed: 'forbidden',
  oidc_not_linked: 'forbidden',
  oidc_username_taken: 'conflict',
  oidc_identity_in_use: 'conflict',
} as const satisfies Record<string, ErrorKind>;

export type AccountsErrorCode = keyof typeof KINDS;

export class AccountsError extends errorClass(KINDS) {}
