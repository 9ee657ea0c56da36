// The closed set of errors the accounts package raises.

import { HomeportError } from '@homeport/core';

export type AccountsErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
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
  | 'busy';

export class AccountsError extends HomeportError<AccountsErrorCode> {}
