// Settings → API tokens: the signed-in user's tokens for scripts and machines; create and revoke them.
import { Badge, Button, Code, Group, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useApi } from '../../../api/api-context';
import type { ApiToken } from '../../../api/types';
import { AsyncContent } from '../../../components/async-content';
import { EmptyList } from '../../../components/empty-list';
import { type ListColumn, ResponsiveList } from '../../../components/responsive-list';
import { TableSkeleton } from '../../../components/table-skeleton';
import { useConfirm } from '../../../components/use-confirm';
import { useAsyncData } from '../../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { notifyFailure, notifySuccess } from '../../../lib/notify';
import { CreateTokenModal } from './create-token-modal';

const columns: ListColumn<ApiToken>[] = [
  {
    header: 'Name',
    phone: 'title',
    cell: (token) => (
      <Group gap="xs" wrap="nowrap">
        <Text size="sm" fw={500}>
          {token.name}
        </Text>
        <Code>{token.prefix}…</Code>
      </Group>
    ),
  },
  { header: 'Created', cell: (token) => <Text size="sm">{formatDateTime(token.createdAt)}</Text> },
  {
    header: 'Last used',
    cell: (token) => (
      <Text size="sm" title={formatDateTime(token.lastUsedAt, 'Never')}>
        {formatRelative(token.lastUsedAt, 'Never')}
      </Text>
    ),
  },
  { header: 'Expires', cell: (token) => <ExpiryCell expiresAt={token.expiresAt} /> },
];

export default function TokensPanel() {
  const api = useApi();
  const tokens = useAsyncData(useCallback((signal: AbortSignal) => api.tokens.list({ signal }), [api]));
  const { reload } = tokens;
  const [creating, setCreating] = useState(false);

  const revoke = useConfirm<ApiToken>({
    title: (token) => `Revoke ${token.name}?`,
    confirmLabel: () => 'Revoke',
    body: () => (
      <Text size="sm">
        Anything still using this token will get “401 Unauthorized” from now on. This cannot be undone.
      </Text>
    ),
    onConfirm: async (token) => {
      try {
        await api.tokens.revoke(token.id);
        notifySuccess(`Token ${token.name} was revoked`);
        reload();
      } catch (error) {
        notifyFailure('Could not revoke the token', error);
        throw error;
      }
    },
  });

  return (
    <>
      <Group justify="space-between" mb="md">
        <Text c="dimmed" size="sm">
          Tokens let scripts and other machines use the API as you.
        </Text>
        <Button onClick={() => setCreating(true)}>Create token</Button>
      </Group>
      <AsyncContent result={tokens} errorTitle="Could not load API tokens" skeleton={<TableSkeleton />}>
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(token) => token.id}
            itemLabel={(token) => `Token ${token.name}`}
            columns={columns}
            empty={
              <EmptyList
                title="No API tokens"
                description="Create a token to call the Homeport API from a script, a CI job or another machine."
              />
            }
            actions={(token) => (
              <Button
                variant="subtle"
                color="red"
                size="xs"
                aria-label={`Revoke ${token.name}`}
                onClick={() => revoke.ask(token)}
              >
                Revoke
              </Button>
            )}
          />
        )}
      </AsyncContent>
      <CreateTokenModal opened={creating} onClose={() => setCreating(false)} onCreated={reload} />
      {revoke.dialog}
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
