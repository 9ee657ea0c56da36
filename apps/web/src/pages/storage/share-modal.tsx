// The sharing dialog (admins): who an export is shared with, add people, change or remove their access, or
// hide it from someone ("No access") whatever the default access members get (Settings → Storage).
// The list is the shared responsive one: rows on a desktop, stacked cards on a phone with Remove in reach.
import { Anchor, Button, Group, Modal, SegmentedControl, Select, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useCallback, useState } from 'react';
import { Link } from 'react-router';
import { useApi } from '../../api/api-context';
import type { DefaultAccess, ExportGrant, GrantAccess, StorageExport, User } from '../../api/types';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { ResponsiveList } from '../../components/responsive-list';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { GRANT_ACCESS_CHOICES, grantAccessLabel, grantChangedMessage, isGrantAccess } from './grant-access';

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
  /** What members without a grant get. */
  defaultAccess: DefaultAccess;
}

function ShareBody({ exportItem }: { exportItem: StorageExport }) {
  const api = useApi();
  const sharing = useAsyncData(
    useCallback(
      async (signal: AbortSignal): Promise<SharingData> => {
        const [grants, users, settings] = await Promise.all([
          api.nas.listGrants(exportItem.id, { signal }),
          api.users.list({ signal }),
          api.nas.settings.get({ signal }),
        ]);
        return { grants, users, defaultAccess: settings.defaultAccess };
      },
      [api, exportItem.id],
    ),
  );

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Admins can mount every export. Members see it on their Storage page and issue their own mount
        credentials for it when they have access: the access you give them here, or else the default.
      </Text>
      <AsyncContent
        result={sharing}
        errorTitle="Could not load who this export is shared with"
        skeleton={<TableSkeleton rows={2} />}
      >
        {(data) => (
          <Stack gap="md">
            <DefaultAccessNote defaultAccess={data.defaultAccess} />
            <SharingEditor exportItem={exportItem} data={data} onChanged={sharing.reload} />
          </Stack>
        )}
      </AsyncContent>
    </Stack>
  );
}

/** Why "No access" exists: with a default other than none, every member sees the export without a grant. */
function DefaultAccessNote({ defaultAccess }: { defaultAccess: DefaultAccess }) {
  return (
    <Text size="sm" data-testid="default-access-note">
      Members without a grant get: <strong>{grantAccessLabel(defaultAccess)}</strong>
      {defaultAccess === 'none' ? '. ' : ' — give someone “No access” to hide it from them. '}
      <Anchor component={Link} to="/settings/storage" size="sm">
        Change the default
      </Anchor>
    </Text>
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

  const change = async (grant: ExportGrant, access: GrantAccess) => {
    const name = grant.username ?? grant.userId;
    setBusyUser(grant.userId);
    try {
      await api.nas.share(exportItem.id, grant.userId, access);
      notifySuccess(grantChangedMessage(name, exportItem.label, access));
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
        data.defaultAccess === 'none'
          ? `${exportItem.label} is no longer shared with ${name}; their mount credentials were revoked`
          : `${name} now gets the default access to ${exportItem.label} (${grantAccessLabel(data.defaultAccess).toLowerCase()}); their mount credentials were revoked`,
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
                data={GRANT_ACCESS_CHOICES}
                value={grant.access}
                disabled={busyUser === grant.userId}
                aria-label={`Access for ${grant.username ?? grant.userId}`}
                onChange={(value) => {
                  if (isGrantAccess(value) && value !== grant.access) void change(grant, value);
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
  const [access, setAccess] = useState<GrantAccess>('read-write');
  const [pending, setPending] = useState(false);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (userId === null) return;
    setPending(true);
    try {
      const grant = await api.nas.share(exportItem.id, userId, access);
      notifySuccess(grantChangedMessage(grant.username ?? grant.userId, exportItem.label, access));
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
          label="Member"
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
          data={GRANT_ACCESS_CHOICES}
          value={access}
          onChange={(value) => {
            if (isGrantAccess(value)) setAccess(value);
          }}
          aria-label="Access"
        />
        <Button type="submit" loading={pending} disabled={userId === null}>
          {access === 'none' ? 'Hide' : 'Share'}
        </Button>
      </Group>
    </form>
  );
}
