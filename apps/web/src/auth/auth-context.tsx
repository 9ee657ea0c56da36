// Who is signed in, and the actions that change it; the one place the UI's idea of the session lives.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import { ApiError } from '../api/api-error';
import { useOnReconnect } from '../api/connection-context';
import type { Credentials, User } from '../api/types';

/**
 * Why a session that was open has ended: `expired` when the server stopped accepting it while the page
 * was open, `revoked` when the user ended this device's session, `logged-out` after "Log out".
 * Absent when nobody was signed in to begin with.
 */
export type SignOutReason = 'expired' | 'revoked' | 'logged-out';

export type AuthState =
  | { status: 'loading' }
  | { status: 'signed-out'; reason?: SignOutReason }
  | { status: 'signed-in'; user: User }
  /** The server could not say who we are (unreachable, 5xx); not the same as signed out. */
  | { status: 'error'; error: unknown };

export interface AuthContextValue {
  state: AuthState;
  login(credentials: Credentials): Promise<User>;
  register(credentials: Credentials): Promise<User>;
  /**
   * Ends the session on the server; rejects (and stays signed in) if the server did not confirm. Resolves
   * with the provider's end-session URL when the session came from the provider (the caller opens it).
   */
  logout(): Promise<{ endSessionUrl?: string }>;
  /** For when the session ended by other means, e.g. the user revoked this device's session. */
  markSignedOut(reason: SignOutReason): void;
  /** Asks the server again who is signed in, e.g. after the user's own role changed. */
  refresh(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [state, setState] = useState<AuthState>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the refresh trigger itself
  useEffect(() => {
    const controller = new AbortController();
    // The probe answers 200 { user: null } for nobody: a 401 would be logged in the console on every load.
    api.auth.session({ signal: controller.signal }).then(
      (user) => setState(user ? { status: 'signed-in', user } : { status: 'signed-out' }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out' });
        else setState((current) => (current.status === 'signed-in' ? current : { status: 'error', error }));
      },
    );
    return () => controller.abort();
  }, [api, generation]);

  useEffect(
    () =>
      api.onUnauthorized(() =>
        setState((current) =>
          current.status === 'signed-in' ? { status: 'signed-out', reason: 'expired' } : current,
        ),
      ),
    [api],
  );

  const login = useCallback(
    async (credentials: Credentials) => {
      const { user } = await api.auth.login(credentials);
      setState({ status: 'signed-in', user });
      return user;
    },
    [api],
  );

  const register = useCallback(
    async (credentials: Credentials) => {
      const { user } = await api.auth.register(credentials);
      setState({ status: 'signed-in', user });
      return user;
    },
    [api],
  );

  const logout = useCallback(async () => {
    let result: { endSessionUrl?: string } = {};
    try {
      result = await api.auth.logout();
    } catch (error) {
      // 401 means the session was already gone, which is what we wanted.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    setState({ status: 'signed-out', reason: 'logged-out' });
    return result;
  }, [api]);

  const markSignedOut = useCallback((reason: SignOutReason) => {
    setState({ status: 'signed-out', reason });
  }, []);

  const refresh = useCallback(() => {
    // Signed in, keep the shell on screen while asking (it would otherwise unmount every page);
    // after a failure, show the loader so Retry visibly does something.
    setState((current) => (current.status === 'error' ? { status: 'loading' } : current));
    setGeneration((n) => n + 1);
  }, []);

  // Could not say who is signed in because the server was away: ask again when it is back.
  useOnReconnect(() => {
    if (state.status === 'error') refresh();
  });

  const value = useMemo(
    () => ({ state, login, register, logout, markSignedOut, refresh }),
    [state, login, register, logout, markSignedOut, refresh],
  );
  return <AuthContext value={value}>{children}</AuthContext>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth() needs an <AuthProvider> above it');
  return value;
}

/** The signed-in user; only for components rendered behind <RequireAuth>. */
export function useCurrentUser(): User {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useCurrentUser() used outside <RequireAuth>');
  return state.user;
}
