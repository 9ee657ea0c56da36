// Places a server refusal of an account form next to the field it concerns.
import { ApiError, errorMessage } from '../../../api/api-error';

export interface AccountFieldErrors {
  username?: string | undefined;
  password?: string | undefined;
  form?: string | undefined;
}

export function accountFieldErrors(error: unknown): AccountFieldErrors {
  if (!(error instanceof ApiError)) return { form: errorMessage(error) };
  if (error.code === 'username_taken') return { username: 'That username is already taken' };
  if (error.code === 'invalid_request') {
    // The server's message names the field it rejected.
    const text = error.message.toLowerCase();
    if (text.includes('username')) return { username: error.message };
    if (text.includes('password')) return { password: error.message };
  }
  return { form: error.message };
}
