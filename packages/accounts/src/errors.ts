// The closed set of errors the accounts package raises.

import { HomeportError } from '@homeport/core';

export type AccountsErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  /** Changing one's own password: the current password given is wrong (403, not 401: the session is fine). */
  | 'wrong_password'
  /** Changing one's own password without having one (a provider-only account). */
  | 'password_not_set'
  | 'unauthorized'
  | 'session_expired'
  | 'forbidden'
  | 'admin_required'
  | 'user_disabled'
  | 'registration_disabled'
  | 'username_taken'
  | 'user_not_found'
  | 'session_not_found'
  | 'token_not_found'
  | 'last_admin'
  | 'too_many_attempts'
  | 'busy'
  // Authentication settings and OIDC (the callback turns the oidc_* codes into /login?error=<code>).
  | 'local_login_disabled'
  | 'admin_lockout'
  | 'setting_managed'
  | 'identity_not_found'
  | 'oidc_disabled'
  | 'oidc_misconfigured'
  | 'oidc_unavailable'
  | 'oidc_state_invalid'
  | 'oidc_denied'
  | 'oidc_provider_error'
  | 'oidc_claim_missing'
  | 'oidc_not_allowed'
  | 'oidc_not_linked'
  | 'oidc_username_taken'
  | 'oidc_identity_in_use';

export class AccountsError extends HomeportError<AccountsErrorCode> {}
