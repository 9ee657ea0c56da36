// Settings → Users (admins only): every account, kept current by the `accounts.users` event topic.
import { Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { useEvents } from '../../../api/events';
import type { User } from '../../../api/types';
import { useAuth, useCurrentUser } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime } from '../../../lib/format';
import { AddUserModal } from './add-user-modal';
import { ResetPasswordModal } from './reset-password-modal';
import { UserActionsMenu } from './user-actions-menu';

const userEventTypes = ['user.created', 'user.updated'] as const;

export default function UsersPanel() {
  const api = useApi();
  const me = useCurrentUser();
  const { refresh: refreshAuth } = useAuth();
  const users = useAsyncData(useCallback((signal: AbortSignal) => api.users.list({ signal }), [api]));
  const { reload } = users;
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);

  // Another admin's change (or this one's, from another tab) arrives as an event; reloading the list
  // keeps ordering and every field exactly as the server has them.
  useEvents(
    ['accounts.users'],
    (event) => {
      reload();
      // Another admin may have changed my own role or status; that decides what this UI may show me.
      if (isAboutUser(event.data, me.id)) refreshAuth();
    },
    { types: userEventTypes, onReconnect: reload },
  );

  const onChanged = (updated: User) => {
    reload();
    // A change to my own role decides what this UI may show me; ask the server who I am now.
    if (updated.id === me.id && updated.role !== me.role) refreshAuth();
  };

  return (
    <>
      <Group justify="space-between" mb="md">
        <Text c="dimmed" size="sm">
          People who can sign in to this Homeport.
        </Text>
        <Button onClick={() => setAdding(true)}>Add user</Button>
      </Group>
      <AsyncContent result={users} errorTitle="Could not load users" skeleton={<TableSkeleton rows={4} />}>
        {(list) => (
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Username</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((user) => (
                  <Table.Tr key={user.id}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Text size="sm" fw={500}>
                          {user.username}
                        </Text>
                        {user.id === me.id && (
                          <Badge size="xs" variant="outline">
                            you
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={user.role === 'admin' ? 'blue' : 'gray'}>
                        {user.role}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="dot" color={user.status === 'active' ? 'teal' : 'gray'}>
                        {user.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDateTime(user.createdAt)}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <UserActionsMenu
                        user={user}
                        me={me}
                        onChanged={onChanged}
                        onResetPassword={setResetting}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </AsyncContent>
      <AddUserModal
        opened={adding}
        onClose={() => setAdding(false)}
        onCreated={() => {
          setAdding(false);
          reload();
        }}
      />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
    </>
  );
}

/** Event payloads are outside input; only their `id` matters here. */
function isAboutUser(data: unknown, userId: string): boolean {
  return typeof data === 'object' && data !== null && 'id' in data && data.id === userId;
}
