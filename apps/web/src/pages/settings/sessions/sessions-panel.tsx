// Settings → Sessions: the browsers and devices signed in as me; revoking this one signs me out.
import { Badge, Button, Group, Text } from '@mantine/core';
import { useCallback } from 'react';
import { useApi } from '../../../api/api-context';
import type { Session } from '../../../api/types';
import { useAuth } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { EmptyList } from '../../../components/empty-list';
import { type ListColumn, ResponsiveList } from '../../../components/responsive-list';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useConfirm } from '../../../components/use-confirm';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { describeUserAgent } from './describe-user-agent';

const columns: ListColumn<Session>[] = [
  {
    header: 'Device',
    phone: 'title',
    cell: (session) => (
      <div>
        <Group gap="xs" wrap="wrap">
          <Text size="sm" fw={500}>
            {describeUserAgent(session.userAgent)}
          </Text>
          {session.current && (
            <Badge size="sm" color="teal" variant="light">
              This device
            </Badge>
          )}
        </Group>
        {session.userAgent && (
          <Text size="xs" c="dimmed" lineClamp={1} maw={320} title={session.userAgent}>
            {session.userAgent}
          </Text>
        )}
      </div>
    ),
  },
  {
    header: 'IP address',
    cell: (session) => (
      <Text size="sm" ff="monospace">
        {session.ip ?? '—'}
      </Text>
    ),
  },
  {
    header: 'Created',
    phone: 'hidden',
    cell: (session) => <Text size="sm">{formatDateTime(session.createdAt)}</Text>,
  },
  {
    header: 'Last seen',
    cell: (session) => (
      <Text size="sm" title={formatDateTime(session.lastSeenAt)}>
        {formatRelative(session.lastSeenAt)}
      </Text>
    ),
  },
  { header: 'Expires', cell: (session) => <Text size="sm">{formatDateTime(session.expiresAt)}</Text> },
];

export default function SessionsPanel() {
  const api = useApi();
  const { markSignedOut } = useAuth();
  const sessions = useAsyncData(useCallback((signal: AbortSignal) => api.sessions.list({ signal }), [api]));
  const { reload } = sessions;

  const revoke = useConfirm<Session>({
    title: (session) => (session.current ? 'Sign out of this device?' : 'Revoke this session?'),
    confirmLabel: (session) => (session.current ? 'Revoke and sign out' : 'Revoke'),
    body: (session) => (
      <Text size="sm">
        {session.current
          ? 'This is the session you are using now. You will be signed out of this browser.'
          : 'That browser or device will be signed out the next time it talks to Homeport.'}
      </Text>
    ),
    onConfirm: async (session) => {
      try {
        await api.sessions.revoke(session.id);
      } catch (error) {
        notifyFailure('Could not revoke the session', error);
        throw error;
      }
      if (session.current) {
        // The cookie in this browser is now worthless; leave the shell instead of failing call by call.
        markSignedOut('revoked');
        return;
      }
      notifySuccess('The session was revoked');
      reload();
    },
  });

  return (
    <>
      <Text c="dimmed" size="sm" mb="md">
        Everywhere you are signed in. Revoke a session you do not recognise, or one on a device you no longer
        have.
      </Text>
      <AsyncContent result={sessions} errorTitle="Could not load sessions" skeleton={<TableSkeleton />}>
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(session) => session.id}
            itemLabel={(session) =>
              `Session on ${describeUserAgent(session.userAgent)}${session.current ? ' (this device)' : ''}`
            }
            columns={columns}
            minTableWidth={760}
            empty={<EmptyList title="No active sessions" />}
            actions={(session) => (
              <Button variant="subtle" color="red" size="xs" onClick={() => revoke.ask(session)}>
                Revoke
              </Button>
            )}
          />
        )}
      </AsyncContent>
      {revoke.dialog}
    </>
  );
}
