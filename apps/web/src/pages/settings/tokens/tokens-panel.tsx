// Settings → API tokens: the signed-in user's tokens for scripts and machines; create and revoke them.
import { Badge, Button, Code, EmptyState, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { ApiToken } from '../../../api/types';
import { AsyncContent } from '../../../components/async-content';
import { ConfirmModal } from '../../../components/confirm-modal';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { CreateTokenModal } from './create-token-modal';

export default function TokensPanel() {
  const api = useApi();
  const tokens = useAsyncData(useCallback((signal: AbortSignal) => api.tokens.list({ signal }), [api]));
  const { reload } = tokens;
  const [creating, setCreating] = useState(false);
  // Kept after closing so the dialog's text does not vanish during its closing animation.
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [confirmOpen, setConfirmOpen] = useState(false);

  const revoke = async () => {
    if (!revoking) return;
    try {
      await api.tokens.revoke(revoking.id);
      notifySuccess(`Token ${revoking.name} was revoked`);
      reload();
    } catch (error) {
      notifyFailure('Could not revoke the token', error);
      throw error;
    }
  };

  const createButton = <Button onClick={() => setCreating(true)}>Create token</Button>;

  return (
    <>
      <Group justify="space-between" mb="md">
        <Text c="dimmed" size="sm">
          Tokens let scripts and other machines use the API as you.
        </Text>
        {createButton}
      </Group>
      <AsyncContent
        result={tokens}
        errorTitle="Could not load API tokens"
        skeleton={<TableSkeleton />}
        isEmpty={(list) => list.length === 0}
        empty={
          <EmptyState
            title="No API tokens"
            description="Create a token to call the Homeport API from a script, a CI job or another machine."
            mt="xl"
          />
        }
      >
        {(list) => (
          <Table.ScrollContainer minWidth={640}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((token) => (
                  <Table.Tr key={token.id}>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <Text size="sm" fw={500}>
                          {token.name}
                        </Text>
                        <Code>{token.prefix}…</Code>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatDateTime(token.createdAt)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" title={formatDateTime(token.lastUsedAt, 'Never')}>
                        {formatRelative(token.lastUsedAt, 'Never')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <ExpiryCell expiresAt={token.expiresAt} />
                    </Table.Td>
                    <Table.Td ta="right">
                      <Button
                        variant="subtle"
                        color="red"
                        size="xs"
                        aria-label={`Revoke ${token.name}`}
                        onClick={() => {
                          setRevoking(token);
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
      <CreateTokenModal opened={creating} onClose={() => setCreating(false)} onCreated={reload} />
      <ConfirmModal
        opened={confirmOpen}
        title={`Revoke ${revoking?.name ?? 'token'}?`}
        confirmLabel="Revoke"
        onConfirm={revoke}
        onClose={() => setConfirmOpen(false)}
      >
        <Text size="sm">
          Anything still using this token will get “401 Unauthorized” from now on. This cannot be undone.
        </Text>
      </ConfirmModal>
    </>
  );
}

function ExpiryCell({ expiresAt }: { expiresAt: string | null }) {
  if (expiresAt === null) return <Text size="sm">Never</Text>;
  if (new Date(expiresAt).getTime() <= Date.now()) {
    return (
      <Badge color="gray" variant="light" title={formatDateTime(expiresAt)}>
        expired
      </Badge>
    );
  }
  return (
    <Text size="sm" title={formatRelative(expiresAt)}>
      {formatDateTime(expiresAt)}
    </Text>
  );
}
