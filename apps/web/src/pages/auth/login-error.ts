// Turns a failed sign-in into the sentence shown under the form.
import { ApiError, errorMessage } from '../../api/api-error';

export function loginErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  if (error.status === 429) {
    return error.retryAfter === undefined
      ? 'Too many attempts, try again later'
      : `Too many attempts, try again in ${error.retryAfter} s`;
  }
  if (error.code === 'user_disabled') return 'This account is disabled. Ask an administrator to enable it.';
  if (error.status === 401) return 'Invalid username or password';
  return error.message;
}
