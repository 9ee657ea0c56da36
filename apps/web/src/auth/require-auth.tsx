// Route guard: renders its children only for a signed-in user and sends everyone else to /login.
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ErrorState } from '../components/error-state';
import { FullPageLoader } from '../components/full-page-loader';
import { useAuth } from './auth-context';
import type { LoginLocationState } from './login-location-state';

export function RequireAuth({ children }: { children: ReactNode }) {
  const { state, refresh } = useAuth();
  const location = useLocation();

  switch (state.status) {
    case 'loading':
      return <FullPageLoader />;
    case 'error':
      return <ErrorState title="Could not reach Homeport" error={state.error} onRetry={refresh} fullPage />;
    case 'signed-out': {
      // After an explicit "Log out" or revoking this device, signing in again should not drop the
      // person back on the page they just left on purpose.
      const remember = state.reason === undefined || state.reason === 'expired';
      const loginState: LoginLocationState = {
        ...(remember ? { from: `${location.pathname}${location.search}${location.hash}` } : {}),
        ...(state.reason ? { reason: state.reason } : {}),
      };
      return <Navigate to="/login" replace state={loginState} />;
    }
    case 'signed-in':
      return children;
  }
}
