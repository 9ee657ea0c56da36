// Settings → Users (admins only): every account, kept current by the `accounts.users` event topic.
import { Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { ApiError } from '../../../api/api-error';
import { useEvents } from '../../../api/events';
import type { AdminUser, Identity, User } from '../../../api/types';
import { useAuth, useCurrentUser } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { ConfirmModal } from '../../../components/confirm-modal';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { AddUserModal } from './add-user-modal';
import { ResetPasswordModal } from './reset-password-modal';
import { identityLabel, UserActionsMenu } from './user-actions-menu';

const userEventTypes = ['user.created', 'user.updated'] as const;

export default function UsersPanel() {
  const api = useApi();
  const me = useCurrentUser();
  const { refresh: refreshAuth } = useAuth();
  const users = useAsyncData(useCallback((signal: AbortSignal) => api.users.list({ signal }), [api]));
  const { reload } = users;
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  // Kept after closing so the dialog's text does not vanish during its closing animation.
  const [unlinking, setUnlinking] = useState<{ user: AdminUser; identity: Identity } | null>(null);
  const [unlinkOpen, setUnlinkOpen] = useState(false);

  const unlink = async () => {
    if (!unlinking) return;
    const { user, identity } = unlinking;
    try {
      await api.users.unlink(user.id, identity.id);
      notifySuccess(`${identityLabel(identity)} is no longer linked to ${user.username}`);
      reload();
    } catch (error) {
      notifyFailure(
        `Could not unlink ${identityLabel(identity)}`,
        error instanceof ApiError && error.code === 'admin_lockout'
          ? new Error(`${error.message} Turn password sign-in back on, or make another admin first.`)
          : error,
      );
      throw error;
    }
  };

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
                  <Table.Th>Signs in with</Table.Th>
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
                      <SignInMethods user={user} />
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
                        onUnlink={(target, identity) => {
                          setUnlinking({ user: target, identity });
                          setUnlinkOpen(true);
                        }}
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
      <ConfirmModal
        opened={unlinkOpen}
        title={unlinking ? `Unlink ${identityLabel(unlinking.identity)}?` : ''}
        confirmLabel="Unlink"
        onConfirm={unlink}
        onClose={() => setUnlinkOpen(false)}
      >
        <Text size="sm">
          {unlinking?.user.username} will no longer be able to sign in with this provider account, and the
          sessions opened with it end now.
          {unlinking && !unlinking.user.signIn.password && unlinking.user.signIn.identities.length === 1
            ? ' They have no password, so they will not be able to sign in at all until an admin sets one.'
            : ''}
        </Text>
      </ConfirmModal>
    </>
  );
}

/** local, OIDC or both — how this person can sign in. */
function SignInMethods({ user }: { user: AdminUser }) {
  const { password, identities } = user.signIn;
  if (!password && identities.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        nothing (no password, no provider)
      </Text>
    );
  }
  return (
    <Group gap={4} wrap="nowrap">
      {password && (
        <Badge variant="outline" color="gray" title="Username and password">
          local
        </Badge>
      )}
      {identities.length > 0 && (
        <Badge variant="outline" color="violet" title={identities.map(identityLabel).join(', ')}>
          OIDC
        </Badge>
      )}
    </Group>
  );
}

/** Event payloads are outside input; only their `id` matters here. */
function isAboutUser(data: unknown, userId: string): boolean {
  return typeof data === 'object' && data !== null && 'id' in data && data.id === userId;
}
