// The navbar's list of sections; marks the current one and closes the phone drawer on choice.
import { NavLink, Stack } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import { useCurrentUser } from '../auth/auth-context';
import { useBusAvailable } from '../pages/rooms/bus-availability';
import { navItems } from './nav-items';

export function AppNavbar({ onNavigate }: { onNavigate: () => void }) {
  const { pathname } = useLocation();
  // Until /health has answered, Rooms shows: on a server without the bus its page says so.
  const busAvailable = useBusAvailable();
  const isAdmin = useCurrentUser().role === 'admin';
  const items = navItems.filter(
    (item) => (!item.needsBus || busAvailable !== false) && (!item.adminOnly || isAdmin),
  );
  return (
    <Stack component="nav" aria-label="Main" gap={4}>
      {items.map((item) => {
        const active = pathname === item.path || pathname.startsWith(`${item.path}/`);
        return (
          <NavLink
            key={item.path}
            component={Link}
            to={item.path}
            label={item.label}
            active={active}
            aria-current={active ? 'page' : undefined}
            onClick={onNavigate}
          />
        );
      })}
    </Stack>
  );
}
