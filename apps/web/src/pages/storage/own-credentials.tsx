// "Your mount credentials": the signed-in person's outstanding WebDAV credentials (every computer or phone
// they mounted from), each revocable, and all at once.
import { Badge, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useApi } from '../../api/api-context';
import type { OwnMountCredential } from '../../api/types';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { ResponsiveList } from '../../components/responsive-list';
import { TableSkeleton } from '../../components/table-skeleton';
import { useConfirm } from '../../components/use-confirm';
import type { AsyncData } from '../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import type { MountCredentialStore } from './mount-credential-store';
import { useNow } from './use-now';

export interface OwnCredentialsProps {
  credentials: AsyncData<OwnMountCredential[]>;
  /** Revoked ones are dropped from it, so Mount does not hand them out again. */
  store: MountCredentialStore;
}

const exportName = (credential: OwnMountCredential) => credential.exportLabel ?? credential.exportId;

export function OwnCredentials({ credentials, store }: OwnCredentialsProps) {
  const api = useApi();
  const now = useNow();
  const revokeOne = useConfirm<OwnMountCredential>({
    title: (credential) => `Revoke the credential ${credential.username}?`,
    confirmLabel: () => 'Revoke',
    body: (credential) => (
      <Text size="sm">
        Whatever mounted {exportName(credential)} with it loses access once the node next checks in (within
        its heartbeat interval). Mount issues a new one when you need it.
      </Text>
    ),
    onConfirm: async (credential) => {
      try {
        await api.nas.revokeMountCredential(credential.username);
        store.forget(credential.username);
        notifySuccess(`Revoked ${credential.username} (${exportName(credential)})`);
        credentials.reload();
      } catch (error) {
        notifyFailure('Could not revoke the credential', error);
        throw error;
      }
    },
  });
  const revokeAll = useConfirm<readonly OwnMountCredential[]>({
    title: (all) => `Revoke all ${all.length} of your mount credentials?`,
    confirmLabel: () => 'Revoke all',
    body: () => (
      <Text size="sm">
        Every computer and phone you mounted from loses access once its node next checks in. Sharing stays as
        it is: Mount issues new credentials.
      </Text>
    ),
    onConfirm: async (all) => {
      try {
        const count = await api.nas.revokeMyCredentials();
        for (const credential of all) store.forget(credential.username);
        notifySuccess(`Revoked ${count} mount ${count === 1 ? 'credential' : 'credentials'}`);
        credentials.reload();
      } catch (error) {
        notifyFailure('Could not revoke your mount credentials', error);
        throw error;
      }
    },
  });

  return (
    <Stack gap="sm" component="section" aria-labelledby="storage-own-credentials">
      <Group justify="space-between" gap="xs">
        <Title order={2} size="h4" id="storage-own-credentials">
          Your mount credentials
        </Title>
        {(credentials.data?.length ?? 0) > 1 && (
          <Button
            size="xs"
            variant="subtle"
            color="red"
            onClick={() => revokeAll.ask(credentials.data ?? [])}
          >
            Revoke all
          </Button>
        )}
      </Group>
      <Text size="sm" c="dimmed">
        Each is a password you used to mount an export somewhere. Mount hands out the one you have until it
        nears expiry; revoke those you no longer use, or any you may have leaked.
      </Text>
      <AsyncContent
        result={credentials}
        errorTitle="Could not load your mount credentials"
        skeleton={<TableSkeleton rows={2} />}
      >
        {(list) => (
          <ResponsiveList
            items={list}
            itemKey={(credential) => credential.username}
            itemLabel={(credential) => `Mount credential ${credential.username}`}
            empty={
              <EmptyList
                title="No mount credentials in use"
                description="Mount issues one when you connect a computer or phone to an export."
              />
            }
            columns={[
              {
                header: 'Export',
                phone: 'title',
                cell: (credential) => (
                  <>
                    <Text size="sm" fw={600}>
                      {exportName(credential)}
                    </Text>
                    <Badge variant="light" color={credential.readonly ? 'gray' : 'blue'}>
                      {credential.readonly ? 'read-only' : 'read-write'}
                    </Badge>
                  </>
                ),
              },
              {
                header: 'Username',
                cell: (credential) => (
                  <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                    {credential.username}
                  </Text>
                ),
              },
              {
                header: 'Issued',
                phone: 'hidden',
                cell: (credential) => (
                  <Text size="sm" title={formatDateTime(credential.issuedAt)}>
                    {formatRelative(credential.issuedAt, '—', now)}
                  </Text>
                ),
              },
              {
                header: 'Expires',
                cell: (credential) => (
                  <Text size="sm" title={formatDateTime(credential.expiresAt)}>
                    {formatRelative(credential.expiresAt, '—', now)}
                  </Text>
                ),
              },
            ]}
            actions={(credential) => (
              <Button
                size="xs"
                variant="subtle"
                color="red"
                onClick={() => revokeOne.ask(credential)}
                aria-label={`Revoke ${credential.username}`}
              >
                Revoke
              </Button>
            )}
          />
        )}
      </AsyncContent>
      {revokeOne.dialog}
      {revokeAll.dialog}
    </Stack>
  );
}
