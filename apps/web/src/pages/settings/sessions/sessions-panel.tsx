// Settings → Sessions: the browsers and devices signed in as me; revoking this one signs me out.
import { Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { Session } from '../../../api/types';
import { useAuth } from '../../../auth/auth-context';
import { AsyncContent } from '../../../components/async-content';
import { ConfirmModal } from '../../../components/confirm-modal';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { describeUserAgent } from './describe-user-agent';

export default function SessionsPanel() {
  const api = useApi();
  const { markSignedOut } = useAuth();
  const sessions = useAsyncData(useCallback((signal: AbortSignal) => api.sessions.list({ signal }), [api]));
  const { reload } = sessions;
  // Kept after closing so the dialog's text does not vanish during its closing animation.
  const [revoking, setRevoking] = useState<Session | null>(null);
  const [confirmOpen, setConfirmOpen] = useState(false);

  const revoke = async () => {
    if (!revoking) return;
    try {
      await api.sessions.revoke(revoking.id);
    } catch (error) {
      notifyFailure('Could not revoke the session', error);
      throw error;
    }
    if (revoking.current) {
      // The cookie in this browser is now worthless; leave the shell instead of failing call by call.
      markSignedOut('revoked');
      return;
    }
    notifySuccess('The session was revoked');
    reload();
  };

  return (
    <>
      <Text c="dimmed" size="sm" mb="md">
        Everywhere you are signed in. Revoke a session you do not recognise, or one on a device you no longer
        have.
      </Text>
      <AsyncContent
        result={sessions}
        errorTitle="Could not load sessions"
        skeleton={<TableSkeleton />}
        isEmpty={(list) => list.length === 0}
        empty={<Text size="sm">No active sessions.</Text>}
      >
        {(list) => (
          <Table.ScrollContainer minWidth={760}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>IP address</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last seen</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((session) => (
                  <Table.Tr key={session.id}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
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
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {session.ip ?? '—'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDateTime(session.createdAt)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" title={formatDateTime(session.lastSeenAt)}>
                        {formatRelative(session.lastSeenAt)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDateTime(session.expiresAt)}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <Button
                        variant="subtle"
                        color="red"
                        size="xs"
                        onClick={() => {
                          setRevoking(session);
                          setConfirmOpen(true);
                        }}
                      >
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </AsyncContent>
      <ConfirmModal
        opened={confirmOpen}
        title={revoking?.current ? 'Sign out of this device?' : 'Revoke this session?'}
        confirmLabel={revoking?.current ? 'Revoke and sign out' : 'Revoke'}
        onConfirm={revoke}
        onClose={() => setConfirmOpen(false)}
      >
        <Text size="sm">
          {revoking?.current
            ? 'This is the session you are using now. You will be signed out of this browser.'
            : 'That browser or device will be signed out the next time it talks to Homeport.'}
        </Text>
      </ConfirmModal>
    </>
  );
}
