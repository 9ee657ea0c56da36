// The Mount dialog: issues a WebDAV credential for an export as it opens (and again when read-only flips),
// shows URL, username and password to copy, when they expire, and how to mount from each system.
import {
  Alert,
  Badge,
  Box,
  Button,
  Divider,
  Group,
  LoadingOverlay,
  Modal,
  Skeleton,
  Stack,
  Switch,
  Text,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useCallback, useMemo, useState } from 'react';
import { useApi } from '../../api/api-context';
import type { MountProfile, NasNode, StorageExport } from '../../api/types';
import { ErrorState } from '../../components/error-state';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { CopyField } from './copy-controls';
import { describeMountError } from './describe-mount-error';
import { MountInstructions } from './mount-instructions';
import { isHttps, isLoopbackUrl } from './mount-snippets';
import { useNow } from './use-now';

export interface MountRequest {
  exportItem: StorageExport;
  node: NasNode | undefined;
  /** New for every opening, so each opening issues a fresh credential. */
  key: number;
}

export interface MountModalProps {
  /** Kept after closing so the content does not vanish during the closing animation. */
  request: MountRequest | null;
  opened: boolean;
  onClose: () => void;
}

export function MountModal({ request, opened, onClose }: MountModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={request ? `Mount ${request.exportItem.label}` : 'Mount'}
      size="lg"
      fullScreen={phone}
    >
      {request && <MountBody key={request.key} exportItem={request.exportItem} node={request.node} />}
    </Modal>
  );
}

function MountBody({ exportItem, node }: { exportItem: StorageExport; node: NasNode | undefined }) {
  const api = useApi();
  // A read-only share always yields a read-only credential; the switch shows that instead of offering it.
  const locked = exportItem.access === 'read-only';
  const [readonly, setReadonly] = useState(locked);
  const profile = useAsyncData(
    useCallback(
      (signal: AbortSignal) => api.nas.issueMountProfile({ exportId: exportItem.id, readonly }, { signal }),
      [api, exportItem.id, readonly],
    ),
  );
  const { data, error, loading, reload } = profile;
  const friendlyError = useMemo(
    () => (error === undefined ? undefined : new Error(describeMountError(error))),
    [error],
  );

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        {exportItem.label}
        {node ? ` on ${node.displayName}` : ''} ·{' '}
        <Text span ff="monospace" size="sm">
          {exportItem.path}
        </Text>
      </Text>
      <Switch
        label="Read-only"
        description={
          locked
            ? 'This export is shared with you read-only, so every credential for it is read-only.'
            : 'Issue a credential that can open and copy files but not change or delete them.'
        }
        checked={locked || readonly}
        disabled={locked || loading}
        onChange={(event) => setReadonly(event.currentTarget.checked)}
      />
      {friendlyError && (
        <ErrorState
          title="Could not issue a mount credential"
          error={friendlyError}
          onRetry={reload}
          retrying={loading}
        />
      )}
      {data ? (
        <Box pos="relative">
          <LoadingOverlay visible={loading} overlayProps={{ blur: 1 }} loaderProps={{ size: 'sm' }} />
          <Credential profile={data} label={exportItem.label} onRenew={reload} />
        </Box>
      ) : (
        loading && <CredentialSkeleton />
      )}
    </Stack>
  );
}

function Credential({
  profile,
  label,
  onRenew,
}: {
  profile: MountProfile;
  label: string;
  onRenew: () => void;
}) {
  const now = useNow();
  const { mountUrl, credential } = profile;
  const expired = new Date(credential.expiresAt).getTime() <= now;
  // The agent advertises the address it listens on; 127.0.0.1 works only on the node's own machine.
  const unreachable = isLoopbackUrl(mountUrl) && !isLoopbackUrl(window.location.origin);
  const target = { url: mountUrl, username: credential.username, password: credential.password, label };

  return (
    <Stack gap="md">
      <Group gap="xs" wrap="wrap">
        <Badge variant="light" color={profile.readonly ? 'gray' : 'blue'}>
          {profile.readonly ? 'read-only' : 'read-write'}
        </Badge>
        <Text size="sm" {...(expired ? { c: 'red' } : {})}>
          {expired ? 'Expired' : 'Expires'} {formatDateTime(credential.expiresAt)} (
          {formatRelative(credential.expiresAt, '—', now)})
        </Text>
      </Group>
      {expired && (
        <Alert color="red" variant="light" title="This credential has expired">
          <Group justify="space-between" gap="sm">
            <Text size="sm">The node no longer accepts it.</Text>
            <Button size="xs" onClick={onRenew}>
              Issue a new one
            </Button>
          </Group>
        </Alert>
      )}
      {unreachable && (
        <Alert color="yellow" variant="light" title="This address works only on the node itself">
          The node advertises {new URL(mountUrl).host}, a loopback address. To mount from other machines,
          start its agent with --advertise-url set to an address they can reach.
        </Alert>
      )}
      <CopyField
        label="URL"
        value={mountUrl}
        description={
          isHttps(mountUrl) ? undefined : 'Plain http: the password and files cross the network unencrypted.'
        }
      />
      <CopyField label="Username" value={credential.username} />
      <CopyField label="Password" value={credential.password} secret />
      <Text size="xs" c="dimmed">
        Anyone with these can use the export until they expire; an admin can revoke them sooner.
      </Text>
      <Divider label="How to mount" labelPosition="left" />
      <MountInstructions target={target} />
    </Stack>
  );
}

function CredentialSkeleton() {
  return (
    <Stack gap="md" role="status" aria-label="Issuing a mount credential">
      <Skeleton height={22} width="60%" />
      {[0, 1, 2].map((n) => (
        <Stack key={n} gap={6}>
          <Skeleton height={14} width={90} />
          <Skeleton height={36} />
        </Stack>
      ))}
    </Stack>
  );
}
