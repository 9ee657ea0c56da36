// Settings → Bus: for admins, how the bus runs here and the allowlist; for everyone, their own devices.
import { Stack, Title } from '@mantine/core';
import { useCallback } from 'react';
import { useCurrentUser } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { isBusOff } from '../../rooms/api/bus-client';
import { useBusClient } from '../../rooms/api/use-bus-client';
import { BusOff } from '../../rooms/room-notices';
import { AllowlistSection } from './allowlist-section';
import { BusStatusView } from './bus-status';
import { MyDevices } from './my-devices';

export default function BusPanel() {
  const client = useBusClient();
  const user = useCurrentUser();
  const isAdmin = user.role === 'admin';
  const status = useAsyncData(useCallback((signal: AbortSignal) => client.status({ signal }), [client]));
  // Only to mark the web UI's own identity among my devices; nothing else waits for it.
  const me = useAsyncData(useCallback((signal: AbortSignal) => client.gateway.me({ signal }), [client]));

  if (isBusOff(status.error)) return <BusOff />;
  return (
    <Stack gap="xl">
      {isAdmin && (
        <Stack gap="sm" component="section" aria-labelledby="bus-status-title">
          <Title order={2} size="h4" id="bus-status-title">
            Status
          </Title>
          <AsyncContent
            result={status}
            errorTitle="Could not load the bus status"
            skeleton={<TableSkeleton rows={2} />}
          >
            {(loaded) => <BusStatusView status={loaded} />}
          </AsyncContent>
        </Stack>
      )}
      {isAdmin && (
        <Stack gap="sm" component="section" aria-labelledby="bus-allowlist-title">
          <Title order={2} size="h4" id="bus-allowlist-title">
            Allowlist
          </Title>
          <AllowlistSection client={client} />
        </Stack>
      )}
      <Stack gap="sm" component="section" aria-labelledby="bus-devices-title">
        <Title order={2} size="h4" id="bus-devices-title">
          My devices
        </Title>
        <MyDevices client={client} webSignPub={me.data?.signPub} />
      </Stack>
    </Stack>
  );
}
