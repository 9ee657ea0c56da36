// What the guard tells the login page through router state: where to go back to, and why we are here.
import type { SignOutReason } from './auth-context';

export interface LoginLocationState {
  /** Path (with search and hash) the visitor wanted before being sent to sign in. */
  from?: string;
  reason?: SignOutReason;
}

/** Router state is `unknown` (it survives reloads via history), so check it before use. */
export function readLoginLocationState(state: unknown): LoginLocationState {
  if (typeof state !== 'object' || state === null) return {};
  const result: LoginLocationState = {};
  // Only same-app paths: a crafted history entry must not turn the login page into an open redirect.
  if (
    'from' in state &&
    typeof state.from === 'string' &&
    state.from.startsWith('/') &&
    !state.from.startsWith('//')
  ) {
    result.from = state.from;
  }
  if (
    'reason' in state &&
    (state.reason === 'expired' || state.reason === 'revoked' || state.reason === 'logged-out')
  ) {
    result.reason = state.reason;
  }
  return result;
}
