// The allowlist (Settings → Bus, admins): every identity that may use the bus, revoked ones included, with
// the account that owns it; add one, revoke one. The web UI's own identities (the gateway's, one per
// account that opened Rooms) are here too, owned by their accounts.
import { Badge, Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
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

export function AllowlistSection({ client }: { client: BusClient }) {
  const api = useApi();
  const users = useAsyncData(useCallback((signal: AbortSignal) => client.users.list({ signal }), [client]));
  // Account names for the "Account" column; the list still shows if they cannot be read.
  const accounts = useAsyncData(useCallback((signal: AbortSignal) => api.users.list({ signal }), [api]));
  const usernames = new Map((accounts.data ?? []).map((account) => [account.id, account.username]));
  const [adding, setAdding] = useState(false);
  const { reload } = users;

  const revoke = useConfirm<BusUser>({
    title: (user) => `Revoke ${user.handle}?`,
    confirmLabel: () => 'Revoke',
    body: (user) => (
      <Text size="sm">
        {user.handle} is refused on the control plane and disconnected from the bus at once, and gets no key
        of the rooms it is in from now on. The row stays, marked revoked; the key cannot be added again.
      </Text>
    ),
    onConfirm: async (user) => {
      try {
        await client.users.revoke(user.signPub);
        notifySuccess(`${user.handle} was revoked`);
        reload();
      } catch (error) {
        notifyFailure(`Could not revoke ${user.handle}`, error);
        throw error;
      }
    },
  });

  const columns: ListColumn<BusUser>[] = [
    {
      header: 'Handle',
      phone: 'title',
      cell: (user) => (
        <Text size="sm" fw={500}>
          {user.handle}
        </Text>
      ),
    },
    {
      header: 'Role',
      phone: 'title',
      cell: (user) => (
        <Badge variant="light" color={user.role === 'admin' ? 'blue' : 'gray'}>
          {user.role}
        </Badge>
      ),
    },
    {
      header: 'Status',
      phone: 'title',
      cell: (user) => (
        <Badge
          variant="dot"
          color={user.status === 'active' ? 'teal' : 'gray'}
          title={user.revokedAt ? `Revoked ${formatDateTime(user.revokedAt)}` : undefined}
        >
          {user.status}
        </Badge>
      ),
    },
    {
      header: 'Key',
      cell: (user) => <KeyFingerprint hex={user.signPub} label={`signing key of ${user.handle}`} />,
    },
    {
      header: 'Account',
      cell: (user) =>
        user.userId === null ? (
          <Text size="sm" c="dimmed">
            none
          </Text>
        ) : (
          <Text size="sm">{usernames.get(user.userId) ?? 'deleted account'}</Text>
        ),
    },
    {
      header: 'Added',
      phone: 'hidden',
      cell: (user) => <Text size="sm">{formatDateTime(user.createdAt)}</Text>,
    },
  ];

  return (
    <>
      <Group justify="space-between" mb="sm">
        <Text c="dimmed" size="sm">
          Identities that may use the bus. Revoked ones stay listed.
        </Text>
        <Button onClick={() => setAdding(true)}>Add identity</Button>
      </Group>
      <AsyncContent
        result={users}
        errorTitle="Could not load the allowlist"
        skeleton={<TableSkeleton rows={3} />}
      >
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(user) => user.signPub}
            itemLabel={(user) => `Identity ${user.handle}`}
            columns={columns}
            minTableWidth={760}
            actions={(user) =>
              user.status === 'active' ? (
                <Button
                  size="xs"
                  variant="default"
                  color="red"
                  onClick={() => revoke.ask(user)}
                  aria-label={`Revoke ${user.handle}`}
                >
                  Revoke
                </Button>
              ) : null
            }
            empty={
              <EmptyList
                title="Nobody on the allowlist yet"
                description="Add an identity made with `homeport bus identity new`; accounts that open Rooms get one of their own."
              />
            }
          />
        )}
      </AsyncContent>
      <IdentityModal
        title="Add identity"
        submitLabel="Add identity"
        withRole
        opened={adding}
        onClose={() => setAdding(false)}
        onSubmit={async (identity) => {
          const user = await client.users.add(identity);
          notifySuccess(`${user.handle} was added to the allowlist`);
          setAdding(false);
          reload();
        }}
      />
      {revoke.dialog}
    </>
  );
}
