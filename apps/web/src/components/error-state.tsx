// A failed load shown the same way everywhere: what failed, the server's reason, and a Retry button.
import { Alert, Button, Center, Group, Text } from '@mantine/core';
import { errorMessage } from '../api/api-error';

export interface ErrorStateProps {
  title: string;
  error: unknown;
  onRetry: () => void;
  /** Disables Retry while a retry is already running. */
  retrying?: boolean;
  /** Centre it on the whole page, for failures that leave nothing else to show. */
  fullPage?: boolean;
}

export function ErrorState({ title, error, onRetry, retrying = false, fullPage = false }: ErrorStateProps) {
  const alert = (
    <Alert color="red" variant="light" title={title} maw={fullPage ? 480 : undefined} w="100%">
      <Group justify="space-between" align="center" gap="sm" wrap="wrap">
        <Text size="sm">{errorMessage(error)}</Text>
        <Button size="xs" variant="white" color="red" onClick={onRetry} loading={retrying}>
          Retry
        </Button>
      </Group>
    </Alert>
  );
  if (!fullPage) return alert;
  return (
    <Center mih="100dvh" p="md">
      {alert}
    </Center>
  );
}
