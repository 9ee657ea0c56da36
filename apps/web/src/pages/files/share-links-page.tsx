// /shares: the share links I made (admins: everyone's too), with what each opens, until when, how often it
// was opened, and Revoke — which ends the link and every access it handed out at once.
import { Badge, Button, SegmentedControl, Stack, Text } from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { useCurrentUser } from '../../auth/auth-context';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { PageHeader } from '../../components/page-header';
import { ResponsiveList } from '../../components/responsive-list';
import { TableSkeleton } from '../../components/table-skeleton';
import { useConfirm } from '../../components/use-confirm';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { createFilesApi } from './files-api';
import type { ShareLink } from './files-types';

const STATUS_COLOR: Record<ShareLink['status'], string> = { active: 'teal', expired: 'gray', revoked: 'red' };

export default function ShareLinksPage() {
  const user = useCurrentUser();
  const isAdmin = user.role === 'admin';
  const api = useMemo(() => createFilesApi(), []);
  const [scope, setScope] = useState<'mine' | 'all'>('mine');
  const links = useAsyncData(
    useCallback((signal: AbortSignal) => api.listShares(scope === 'all', signal), [api, scope]),
  );
  const revoke = useConfirm<ShareLink>({
    title: (link) => `Revoke the link to ${link.name}?`,
    confirmLabel: () => 'Revoke',
    body: () => (
      <Text size="sm">
        The link stops opening at once, and anyone who opened it loses access within the node’s next check-in.
      </Text>
    ),
    onConfirm: async (link) => {
      try {
        await api.revokeShare(link.id);
        notifySuccess(`Revoked the link to ${link.name}`);
        links.reload();
      } catch (error) {
        notifyFailure('Could not revoke the link', error);
        throw error;
      }
    },
  });
  return (
    <>
      <PageHeader
        title="Share links"
        description="Links to files and folders for people without an account. Make one from a file’s menu on the Files page."
      />
      <Stack gap="md">
        {isAdmin && (
          <SegmentedControl
            aria-label="Whose links"
            value={scope}
            onChange={(value) => setScope(value === 'all' ? 'all' : 'mine')}
            data={[
              { value: 'mine', label: 'Mine' },
              { value: 'all', label: 'Everyone’s' },
            ]}
            style={{ alignSelf: 'flex-start' }}
          />
        )}
        <AsyncContent
          result={links}
          errorTitle="Could not load the share links"
          skeleton={<TableSkeleton rows={3} />}
        >
          {(list) => (
            <ResponsiveList
              items={list}
              itemKey={(link) => link.id}
              itemLabel={(link) => `Share link ${link.name}`}
              minTableWidth={760}
              empty={
                <EmptyList
                  title="No share links"
                  description="Links you make from the Files page show here."
                />
              }
              columns={[
                {
                  header: 'Shared item',
                  phone: 'title',
                  cell: (link) => (
                    <Stack gap={0}>
                      <Text size="sm" fw={600} style={{ wordBreak: 'break-word' }}>
                        {link.name}
                      </Text>
                      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }}>
                        {link.exportLabel ?? 'removed export'} · {link.path}
                      </Text>
                    </Stack>
                  ),
                },
                {
                  header: 'Access',
                  cell: (link) => (
                    <Text size="sm">
                      {link.mode === 'drop' ? 'File drop' : 'View'}
                      {link.hasPassword ? ' · password' : ''}
                    </Text>
                  ),
                },
                {
                  header: 'Status',
                  cell: (link) => (
                    <Badge variant="light" color={STATUS_COLOR[link.status]}>
                      {link.status}
                    </Badge>
                  ),
                },
                {
                  header: 'Expires',
                  cell: (link) => <Text size="sm">{formatDateTime(link.expiresAt)}</Text>,
                },
                {
                  header: 'Opened',
                  cell: (link) => (
                    <Text size="sm">
                      {link.opens === 0
                        ? 'never'
                        : `${link.opens}× · last ${formatRelative(link.lastOpenedAt)}`}
                    </Text>
                  ),
                },
              ]}
              actions={(link) =>
                link.status === 'active' ? (
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    onClick={() => revoke.ask(link)}
                    aria-label={`Revoke the link to ${link.name}`}
                  >
                    Revoke
                  </Button>
                ) : null
              }
            />
          )}
        </AsyncContent>
      </Stack>
      {revoke.dialog}
    </>
  );
}
