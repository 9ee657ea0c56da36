// "Reconnecting…": shown on every page while the server cannot be reached, so nobody mistakes what is on
// screen for live. Pages reload what they need once it answers again (useOnReconnect, useEvents).
import { Button, Group, Loader, Paper, Text } from '@mantine/core';
import { useState } from 'react';
import { useConnection, useConnectionMonitor } from '../api/connection-context';
import { formatTime } from '../lib/format';

export function ConnectionBanner() {
  const connection = useConnection();
  const monitor = useConnectionMonitor();
  const [checking, setChecking] = useState(false);
  if (connection.status === 'online') return null;

  const retry = async () => {
    setChecking(true);
    await monitor?.check();
    setChecking(false);
  };

  return (
    <Paper
      role="status"
      aria-live="polite"
      data-testid="connection-banner"
      shadow="md"
      withBorder
      p="sm"
      // Bottom centre: the header's buttons stay usable, and on a phone it spans the width.
      style={{
        position: 'fixed',
        left: '50%',
        bottom: 16,
        transform: 'translateX(-50%)',
        width: 'min(560px, calc(100vw - 16px))',
        zIndex: 1000,
        borderColor: 'var(--mantine-color-yellow-5)',
      }}
    >
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Group gap="sm" wrap="nowrap">
          <Loader size="sm" color="yellow" />
          <div>
            <Text fw={600} size="sm">
              Reconnecting…
            </Text>
            <Text size="xs" c="dimmed">
              Homeport cannot be reached since {formatTime(connection.since)}. What you see may be out of
              date; it reloads when the connection is back.
            </Text>
          </div>
        </Group>
        <Button size="xs" variant="default" onClick={retry} loading={checking}>
          Retry now
        </Button>
      </Group>
    </Paper>
  );
}
