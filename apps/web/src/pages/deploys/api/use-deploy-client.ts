// The deploy client for a component: told of the page's connection monitor, and signing the UI out when a
// call finds the session gone (as the app's own client does).
import { useMemo } from 'react';
import { useConnectionMonitor } from '../../../api/connection-context';
import { useAuth } from '../../../auth/auth-context';
import { createDeployClient, type DeployClient } from './deploy-client';

export function useDeployClient(): DeployClient {
  const connection = useConnectionMonitor();
  const { markSignedOut } = useAuth();
  return useMemo(
    () => createDeployClient({ connection, onSessionEnded: () => markSignedOut('expired') }),
    [connection, markSignedOut],
  );
}
