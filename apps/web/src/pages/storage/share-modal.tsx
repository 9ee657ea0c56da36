// The sharing dialog (admins): who an export is shared with, add people, change or remove their access.
// The list is the shared responsive one: rows on a desktop, stacked cards on a phone with Remove in reach.
import { Button, Group, Modal, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useCallback, useState } from 'react';
import { useApi } from '../../api/api-context';
import type { ExportAccess, ExportGrant, StorageExport, User } from '../../api/types';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { ResponsiveList } from '../../components/responsive-list';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';

const accessOptions: { label: string; value: ExportAccess }[] = [
  { label: 'Read-write', value: 'read-write' },
  { label: 'Read-only', value: 'read-only' },
];

const isAccess = (value: string): value is ExportAccess => value === 'read-write' || value === 'read-only';

export interface ShareModalProps {
  /** Kept after closing so the content does not vanish during the closing animation. */
  exportItem: StorageExport | null;
  opened: boolean;
  onClose: () => void;
}

export function ShareModal({ exportItem, opened, onClose }: ShareModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={exportItem ? `Share ${exportItem.label}` : 'Share'}
      size="lg"
      fullScreen={phone}
    >
      {exportItem && <ShareBody key={exportItem.id} exportItem={exportItem} />}
    </Modal>
  );
}

interface SharingData {
  grants: ExportGrant[];
  users: User[];
}

function ShareBody({ exportItem }: { exportItem: StorageExport }) {
  const api = useApi();
  const sharing = useAsyncData(
    useCallback(
      async (signal: AbortSignal): Promise<SharingData> => {
        const [grants, users] = await Promise.all([
          api.nas.listGrants(exportItem.id, { signal }),
          api.users.list({ signal }),
        ]);
        return { grants, users };
      },
      [api, exportItem.id],
    ),
  );

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Admins can mount every export. People you share it with see it on their Storage page and can issue
        their own mount credentials for it.
      </Text>
      <AsyncContent
        result={sharing}
        errorTitle="Could not load who this export is shared with"
        skeleton={<TableSkeleton rows={2} />}
      >
        {(data) => <SharingEditor exportItem={exportItem} data={data} onChanged={sharing.reload} />}
      </AsyncContent>
    </Stack>
  );
}

function SharingEditor({
  exportItem,
  data,
  onChanged,
}: {
  exportItem: StorageExport;
  data: SharingData;
  onChanged: () => void;
}) {
  const api = useApi();
  const [busyUser, setBusyUser] = useState<string | null>(null);
  const granted = new Set(data.grants.map((grant) => grant.userId));
  const candidates = data.users
    .filter((user) => user.role === 'member' && user.status === 'active' && !granted.has(user.id))
    .map((user) => ({ value: user.id, label: user.username }));

  const change = async (grant: ExportGrant, access: ExportAccess) => {
    const name = grant.username ?? grant.userId;
    setBusyUser(grant.userId);
    try {
      await api.nas.share(exportItem.id, grant.userId, access);
      notifySuccess(
        access === 'read-only'
          ? `${name} now has read-only access to ${exportItem.label}; their read-write credentials were revoked`
          : `${name} now has read-write access to ${exportItem.label}`,
      );
      onChanged();
    } catch (error) {
      notifyFailure(`Could not change ${name}'s access`, error);
    } finally {
      setBusyUser(null);
    }
  };

  const remove = async (grant: ExportGrant) => {
    const name = grant.username ?? grant.userId;
    setBusyUser(grant.userId);
    try {
      await api.nas.unshare(exportItem.id, grant.userId);
      notifySuccess(
        `${exportItem.label} is no longer shared with ${name}; their mount credentials were revoked`,
      );
      onChanged();
    } catch (error) {
      notifyFailure(`Could not stop sharing with ${name}`, error);
    } finally {
      setBusyUser(null);
    }
  };

  return (
    <Stack gap="lg">
      <AddShareForm exportItem={exportItem} candidates={candidates} onShared={onChanged} />
      <ResponsiveList
        items={data.grants}
        itemKey={(grant) => grant.userId}
        itemLabel={(grant) => `Shared with ${grant.username ?? grant.userId}`}
        minTableWidth={480}
        empty={<EmptyList title="Not shared with anyone yet" />}
        columns={[
          {
            header: 'Person',
            phone: 'title',
            cell: (grant) => (
              <Text size="sm" fw={500} {...(grant.username ? {} : { c: 'dimmed' })}>
                {grant.username ?? `deleted user (${grant.userId})`}
              </Text>
            ),
          },
          {
            header: 'Access',
            cell: (grant) => (
              <SegmentedControl
                size="xs"
                data={accessOptions}
                value={grant.access}
                disabled={busyUser === grant.userId}
                aria-label={`Access for ${grant.username ?? grant.userId}`}
                onChange={(value) => {
                  if (isAccess(value) && value !== grant.access) void change(grant, value);
                }}
              />
            ),
          },
          {
            header: 'Since',
            cell: (grant) => <Text size="sm">{formatDateTime(grant.createdAt)}</Text>,
          },
        ]}
        actions={(grant) => (
          <Button
            variant="subtle"
            color="red"
            size="xs"
            loading={busyUser === grant.userId}
            aria-label={`Stop sharing with ${grant.username ?? grant.userId}`}
            onClick={() => void remove(grant)}
          >
            Remove
          </Button>
        )}
      />
    </Stack>
  );
}

function AddShareForm({
  exportItem,
  candidates,
  onShared,
}: {
  exportItem: StorageExport;
  candidates: { value: string; label: string }[];
  onShared: () => void;
}) {
  const api = useApi();
  const [userId, setUserId] = useState<string | null>(null);
  const [access, setAccess] = useState<ExportAccess>('read-write');
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (userId === null) return;
    setPending(true);
    try {
      const grant = await api.nas.share(exportItem.id, userId, access);
      notifySuccess(`${exportItem.label} is now shared with ${grant.username ?? grant.userId} (${access})`);
      setUserId(null);
      onShared();
    } catch (error) {
      notifyFailure('Could not share the export', error);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Group align="flex-end" gap="sm" wrap="wrap">
        <Select
          label="Share with"
          placeholder={candidates.length === 0 ? 'No one else to share with' : 'Pick a member'}
          description={
            candidates.length === 0
              ? 'Only active members can be added (admins see every export); add people in Settings → Users.'
              : undefined
          }
          data={candidates}
          value={userId}
          onChange={setUserId}
          searchable
          nothingFoundMessage="No member by that name"
          disabled={candidates.length === 0}
          style={{ flex: 1, minWidth: 180 }}
          data-autofocus
        />
        <SegmentedControl
          data={accessOptions}
          value={access}
          onChange={(value) => {
            if (isAccess(value)) setAccess(value);
          }}
          aria-label="Access"
        />
        <Button type="submit" loading={pending} disabled={userId === null}>
          Share
        </Button>
      </Group>
    </form>
  );
}
