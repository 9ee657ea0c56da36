// The bus client for a component: told of the page's connection monitor, and signing the UI out when a
// call finds the session gone (as the app's own client does).
import { useMemo } from 'react';
import { useConnectionMonitor } from '../../../api/connection-context';
import { useAuth } from '../../../auth/auth-context';
import { type BusClient, createBusClient } from './bus-client';

export function useBusClient(): BusClient {
  const connection = useConnectionMonitor();
  const { markSignedOut } = useAuth();
  return useMemo(
    () => createBusClient({ connection, onSessionEnded: () => markSignedOut('expired') }),
    [connection, markSignedOut],
  );
}
