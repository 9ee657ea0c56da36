// Top bar of the shell: menu toggle for phones, product name, who is signed in, and "Log out".
import { Burger, Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useAuth, useCurrentUser } from '../auth/auth-context';
import { notifyFailure } from '../lib/notify';

export interface AppHeaderProps {
  navbarOpened: boolean;
  onToggleNavbar: () => void;
}

export function AppHeader({ navbarOpened, onToggleNavbar }: AppHeaderProps) {
  const user = useCurrentUser();
  const { logout } = useAuth();
  const navigate = useNavigate();
  const [leaving, setLeaving] = useState(false);

  const onLogout = async () => {
    setLeaving(true);
    try {
      const { endSessionUrl } = await logout();
      // Signed in through the provider: let it end its session too; it sends the browser back to /login.
      if (endSessionUrl) window.location.assign(endSessionUrl);
      else navigate('/login', { replace: true, state: { reason: 'logged-out' } });
    } catch (error) {
      notifyFailure('Could not log out', error);
      setLeaving(false);
    }
  };

  return (
    <Group h="100%" px="md" justify="space-between" wrap="nowrap">
      <Group gap="sm" wrap="nowrap">
        <Burger
          opened={navbarOpened}
          onClick={onToggleNavbar}
          hiddenFrom="sm"
          size="sm"
          aria-label={navbarOpened ? 'Close navigation' : 'Open navigation'}
        />
        <Text component={Link} to="/" fw={700} size="lg" c="blue" td="none">
          Homeport
        </Text>
      </Group>
      <Group gap="sm" wrap="nowrap">
        {/* Only the name: a role badge reading "admin" would make the text ambiguous for a user named admin. */}
        <Text size="sm" fw={500} truncate maw={160} data-testid="current-username">
          {user.username}
        </Text>
        <Button variant="default" size="xs" onClick={onLogout} loading={leaving}>
          Log out
        </Button>
      </Group>
    </Group>
  );
}
