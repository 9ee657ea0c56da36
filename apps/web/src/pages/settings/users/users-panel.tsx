// Settings → Users (admins only): every account, kept current by the `accounts.users` event topic.
import { Badge, Button, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import { ApiError } from '../../../api/api-error';
import { useEvents } from '../../../api/events';
import type { AdminUser, Identity, User } from '../../../api/types';
import { useAuth, useCurrentUser } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { LiveDataHint } from '../../../components/live-data-hint';
import { type ListColumn, ResponsiveList } from '../../../components/responsive-list';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useConfirm } from '../../../components/use-confirm';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { AddUserModal } from './add-user-modal';
import { ResetPasswordModal } from './reset-password-modal';
import { identityLabel, UserActionsMenu } from './user-actions-menu';

const userEventTypes = ['user.created', 'user.updated'] as const;

function userColumns(me: User): ListColumn<AdminUser>[] {
  return [
    {
      header: 'Username',
      phone: 'title',
      cell: (user) => (
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
        <Badge variant="dot" color={user.status === 'active' ? 'teal' : 'gray'}>
          {user.status}
        </Badge>
      ),
    },
    { header: 'Signs in with', cell: (user) => <SignInMethods user={user} /> },
    { header: 'Created', cell: (user) => <Text size="sm">{formatDateTime(user.createdAt)}</Text> },
  ];
}

export default function UsersPanel() {
  const api = useApi();
  const me = useCurrentUser();
  const { refresh: refreshAuth } = useAuth();
  const users = useAsyncData(useCallback((signal: AbortSignal) => api.users.list({ signal }), [api]));
  const { reload } = users;
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);

  const unlink = useConfirm<{ user: AdminUser; identity: Identity }>({
    title: ({ identity }) => `Unlink ${identityLabel(identity)}?`,
    confirmLabel: () => 'Unlink',
    body: ({ user }) => (
      <Text size="sm">
        {user.username} will no longer be able to sign in with this provider account, and the sessions opened
        with it end now.
        {!user.signIn.password && user.signIn.identities.length === 1
          ? ' They have no password, so they will not be able to sign in at all until an admin sets one.'
          : ''}
      </Text>
    ),
    onConfirm: async ({ user, identity }) => {
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
    },
  });

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
        <Group gap="xs">
          <Text c="dimmed" size="sm">
            People who can sign in to this Homeport.
          </Text>
          <LiveDataHint />
        </Group>
        <Button onClick={() => setAdding(true)}>Add user</Button>
      </Group>
      <AsyncContent result={users} errorTitle="Could not load users" skeleton={<TableSkeleton rows={4} />}>
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(user) => user.id}
            itemLabel={(user) => `User ${user.username}`}
            columns={userColumns(me)}
            actions={(user) => (
              <UserActionsMenu
                user={user}
                me={me}
                onChanged={onChanged}
                onResetPassword={setResetting}
                onUnlink={(target, identity) => unlink.ask({ user: target, identity })}
              />
            )}
          />
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
      {unlink.dialog}
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
