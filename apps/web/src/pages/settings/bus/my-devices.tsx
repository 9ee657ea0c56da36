// My devices (Settings → Bus, every account): the bus identities this account owns — a laptop's CLI, an
// agent — listed, registered from their public keys, and revoked when a device is lost. The identity the
// web UI uses for Rooms is listed too; it is the server's, made for this account.
import { Badge, Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { AsyncContent } from '../../../components/async-content';
import { EmptyList } from '../../../components/empty-list';
import { type ListColumn, ResponsiveList } from '../../../components/responsive-list';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useConfirm } from '../../../components/use-confirm';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import type { BusClient } from '../../rooms/api/bus-client';
import type { BusUser } from '../../rooms/api/bus-types';
import { IdentityModal } from './identity-modal';
import { KeyFingerprint } from './key-fingerprint';

export function MyDevices({ client, webSignPub }: { client: BusClient; webSignPub: string | undefined }) {
  const devices = useAsyncData(
    useCallback((signal: AbortSignal) => client.devices.list({ signal }), [client]),
  );
  const { reload } = devices;
  const [registering, setRegistering] = useState(false);

  const revoke = useConfirm<BusUser>({
    title: (device) => `Revoke ${device.handle}?`,
    confirmLabel: () => 'Revoke device',
    body: (device) => (
      <Text size="sm">
        {device.signPub === webSignPub
          ? 'This is the identity this web UI uses for Rooms. Revoked, Rooms stops working for your account here until an admin sorts it out.'
          : `${device.handle} is disconnected from the bus at once and can no longer read new messages or send. Use this for a lost or retired device.`}
      </Text>
    ),
    onConfirm: async (device) => {
      try {
        await client.devices.revoke(device.signPub);
        notifySuccess(`${device.handle} was revoked`);
        reload();
      } catch (error) {
        notifyFailure(`Could not revoke ${device.handle}`, error);
        throw error;
      }
    },
  });

  const columns: ListColumn<BusUser>[] = [
    {
      header: 'Handle',
      phone: 'title',
      cell: (device) => (
        <Group gap="xs" wrap="nowrap">
          <Text size="sm" fw={500}>
            {device.handle}
          </Text>
          {device.signPub === webSignPub && (
            <Badge size="xs" variant="outline">
              this web UI
            </Badge>
          )}
        </Group>
      ),
    },
    {
      header: 'Status',
      phone: 'title',
      cell: (device) => (
        <Badge variant="dot" color={device.status === 'active' ? 'teal' : 'gray'}>
          {device.status}
        </Badge>
      ),
    },
    {
      header: 'Key',
      cell: (device) => <KeyFingerprint hex={device.signPub} label={`signing key of ${device.handle}`} />,
    },
    { header: 'Added', cell: (device) => <Text size="sm">{formatDateTime(device.createdAt)}</Text> },
  ];

  return (
    <>
      <Group justify="space-between" mb="sm">
        <Text c="dimmed" size="sm">
          Your own bus identities: each device or tool that talks to rooms as you.
        </Text>
        <Button variant="default" onClick={() => setRegistering(true)}>
          Register a device
        </Button>
      </Group>
      <AsyncContent
        result={devices}
        errorTitle="Could not load your devices"
        skeleton={<TableSkeleton rows={2} />}
      >
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(device) => device.signPub}
            itemLabel={(device) => `Device ${device.handle}`}
            columns={columns}
            actions={(device) =>
              device.status === 'active' ? (
                <Button
                  size="xs"
                  variant="default"
                  color="red"
                  onClick={() => revoke.ask(device)}
                  aria-label={`Revoke ${device.handle}`}
                >
                  Revoke
                </Button>
              ) : null
            }
            empty={
              <EmptyList
                title="No devices yet"
                description="Register the public keys of an identity made with `homeport bus identity new` to use rooms from that device."
              />
            }
          />
        )}
      </AsyncContent>
      <IdentityModal
        title="Register a device"
        submitLabel="Register"
        withRole={false}
        opened={registering}
        onClose={() => setRegistering(false)}
        onSubmit={async (identity) => {
          const device = await client.devices.register(identity);
          notifySuccess(`${device.handle} is registered`);
          setRegistering(false);
          reload();
        }}
      />
      {revoke.dialog}
    </>
  );
}
