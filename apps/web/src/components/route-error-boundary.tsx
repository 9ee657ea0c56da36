// Catches what a route throws — most often its code failing to download while the server is away or after
// an upgrade replaced the files — and shows what happened with a way forward, instead of a white page.
import { Alert, Button, Center, Group, Stack, Text } from '@mantine/core';
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { useConnection, useOnReconnect } from '../api/connection-context';
import { isChunkLoadError, retryFailedPages } from '../lib/lazy-page';

export interface RouteErrorBoundaryProps {
  children: ReactNode;
  /** A new key (the next page's path) clears the error, so navigating away works again. */
  resetKey: string;
  /** Centre the message on the whole page (no shell around it). */
  fullPage?: boolean;
}

interface State {
  error: unknown;
  hasError: boolean;
}

export class RouteErrorBoundary extends Component<RouteErrorBoundaryProps, State> {
  override state: State = { error: undefined, hasError: false };

  static getDerivedStateFromError(error: unknown): State {
    return { error, hasError: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // Kept in the console for whoever debugs it; the page shows a readable version.
    console.warn('A page failed to render', error, info.componentStack);
  }

  override componentDidUpdate(previous: RouteErrorBoundaryProps): void {
    if (previous.resetKey !== this.props.resetKey && this.state.hasError) this.retry();
  }

  retry = (): void => {
    retryFailedPages();
    this.setState({ error: undefined, hasError: false });
  };

  override render(): ReactNode {
    if (!this.state.hasError) return this.props.children;
    return (
      <RouteError error={this.state.error} onRetry={this.retry} fullPage={this.props.fullPage ?? false} />
    );
  }
}

function RouteError({
  error,
  onRetry,
  fullPage,
}: {
  error: unknown;
  onRetry: () => void;
  fullPage: boolean;
}) {
  const connection = useConnection();
  const chunk = isChunkLoadError(error);
  // The code could not be fetched because the server was away: fetch it again as soon as it is back.
  useOnReconnect(() => {
    if (chunk) onRetry();
  });

  const offline = connection.status === 'offline';
  const title = chunk ? 'This page could not be loaded' : 'Something went wrong on this page';
  const message = chunk
    ? offline
      ? 'Homeport cannot be reached, so the code of this page could not be downloaded. It loads by itself when the connection is back.'
      : 'The code of this page could not be downloaded. If Homeport was just upgraded, reload to get the new version.'
    : `${error instanceof Error ? error.message : String(error)}. Try again, or reload the page.`;

  const alert = (
    <Alert color={chunk ? 'yellow' : 'red'} variant="light" title={title} role="alert" maw={640} w="100%">
      <Stack gap="sm">
        <Text size="sm">{message}</Text>
        <Group gap="sm">
          <Button size="xs" onClick={() => window.location.reload()}>
            Reload page
          </Button>
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
  return fullPage ? (
    <Center mih="100dvh" p="md">
      {alert}
    </Center>
  ) : (
    alert
  );
}
