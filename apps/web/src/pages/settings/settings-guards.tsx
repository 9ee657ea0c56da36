// Redirects inside /settings: the default tab for this user, and the admin tabs (Users, Authentication,
// Storage) closed to members.
import type { ReactNode } from 'react';
import { Navigate } from 'react-router';
import { useCurrentUser } from '../../auth/auth-context';

/** `/settings` itself: the first tab this user may see. */
export function SettingsIndex() {
  const user = useCurrentUser();
  return <Navigate to={user.role === 'admin' ? '/settings/users' : '/settings/tokens'} replace />;
}

/** Keeps members off an admin tab even when they type its address. */
export function AdminOnly({ children }: { children: ReactNode }) {
  const user = useCurrentUser();
  if (user.role !== 'admin') return <Navigate to="/settings/tokens" replace />;
  return children;
}
