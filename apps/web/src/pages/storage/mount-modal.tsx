// The Mount dialog: a WebDAV credential for an export — the one this tab already holds for the export and
// mode while it stays valid, otherwise a new one — with URL, username and password to copy, when they
// expire, and how to mount from each system.
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
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../../api/api-context';
import type { MountProfile, NasNode, StorageExport } from '../../api/types';
import { ErrorState } from '../../components/error-state';
import { useAsyncData } from '../../hooks/use-async-data';
import { formatDateTime, formatRelative } from '../../lib/format';
import { CopyField } from './copy-controls';
import { describeMountError } from './describe-mount-error';
import { type MountCredentialStore, tabMountCredentials } from './mount-credential-store';
import { MountInstructions } from './mount-instructions';
import { isHttps, isLoopbackUrl } from './mount-snippets';
import { useNow } from './use-now';

export interface MountRequest {
  exportItem: StorageExport;
  node: NasNode | undefined;
  /** New for every opening, so each opening checks again that the kept credential is still valid. */
  key: number;
}

export interface MountModalProps {
  /** Kept after closing so the content does not vanish during the closing animation. */
  request: MountRequest | null;
  opened: boolean;
  onClose: () => void;
  /** Whose credentials these are (the tab's store is per user). */
  userId: string;
  /** Told when a credential was issued, so a list of them can reload. */
  onIssued?: () => void;
  /** @default the tab's store */
  store?: MountCredentialStore;
}

export function MountModal({
  request,
  opened,
  onClose,
  userId,
  onIssued,
  store = tabMountCredentials,
}: MountModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={request ? `Mount ${request.exportItem.label}` : 'Mount'}
      size="lg"
      fullScreen={phone}
    >
      {request && (
        <MountBody
          key={request.key}
          exportItem={request.exportItem}
          node={request.node}
          userId={userId}
          store={store}
          onIssued={onIssued}
        />
      )}
    </Modal>
  );
}

interface MountBodyProps {
  exportItem: StorageExport;
  node: NasNode | undefined;
  userId: string;
  store: MountCredentialStore;
  onIssued: (() => void) | undefined;
}

interface HeldCredential {
  profile: MountProfile;
  /** Issued before this opening (or before the last read-only flip) and handed out again. */
  reused: boolean;
}

function MountBody({ exportItem, node, userId, store, onIssued }: MountBodyProps) {
  const api = useApi();
  // A read-only share always yields a read-only credential; the switch shows that instead of offering it.
  const locked = exportItem.access === 'read-only';
  const [readonly, setReadonly] = useState(locked);
  // Set by "New credential": the next load issues one even though a valid one is kept.
  const issueNew = useRef(false);
  // In a ref: a parent's new callback on each render must not rerun the load (and issue again).
  const issued = useRef(onIssued);
  useEffect(() => {
    issued.current = onIssued;
  });
  const profile = useAsyncData(
    useCallback(
      async (signal: AbortSignal): Promise<HeldCredential> => {
        const forced = issueNew.current;
        issueNew.current = false;
        if (!forced && store.find(userId, exportItem.id, readonly, Date.now())) {
          // Revoked meanwhile (here, by an admin, by unsharing)? Only the server knows.
          const outstanding = await api.nas.listMyCredentials({ signal });
          store.retain(userId, new Set(outstanding.map((credential) => credential.username)));
          const kept = store.find(userId, exportItem.id, readonly, Date.now());
          if (kept) return { profile: kept, reused: true };
        }
        const fresh = await api.nas.issueMountProfile({ exportId: exportItem.id, readonly }, { signal });
        // Kept even if this dialog closed meanwhile: the server issued it, so the next opening reuses it.
        store.remember(userId, fresh);
        issued.current?.();
        return { profile: fresh, reused: false };
      },
      [api, store, userId, exportItem.id, readonly],
    ),
  );
  const { data, error, loading, reload } = profile;
  const renew = () => {
    issueNew.current = true;
    reload();
  };
  const friendlyError = useMemo(
    () => (error === undefined ? undefined : new Error(describeMountError(error))),
    [error],
  );

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        {exportItem.label}
        {node ? ` on ${node.displayName}` : ''}
        {exportItem.path !== undefined && (
          <>
            {' · '}
            <Text span ff="monospace" size="sm">
              {exportItem.path}
            </Text>
          </>
        )}
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
          <Credential held={data} label={exportItem.label} onRenew={renew} renewing={loading} />
        </Box>
      ) : (
        loading && <CredentialSkeleton />
      )}
    </Stack>
  );
}

function Credential({
  held,
  label,
  onRenew,
  renewing,
}: {
  held: HeldCredential;
  label: string;
  onRenew: () => void;
  renewing: boolean;
}) {
  const now = useNow();
  const { profile, reused } = held;
  const { mountUrl, credential } = profile;
  const expired = new Date(credential.expiresAt).getTime() <= now;
  // The agent advertises the address it listens on; 127.0.0.1 works only on the node's own machine.
  const unreachable = isLoopbackUrl(mountUrl) && !isLoopbackUrl(window.location.origin);
  const target = {
    url: mountUrl,
    username: credential.username,
    password: credential.password,
    label,
    readonly: profile.readonly,
  };

  return (
    <Stack gap="md">
      <Group gap="xs" wrap="wrap" justify="space-between">
        <Group gap="xs" wrap="wrap">
          <Badge variant="light" color={profile.readonly ? 'gray' : 'blue'}>
            {profile.readonly ? 'read-only' : 'read-write'}
          </Badge>
          <Text size="sm" {...(expired ? { c: 'red' } : {})}>
            {expired ? 'Expired' : 'Expires'} {formatDateTime(credential.expiresAt)} (
            {formatRelative(credential.expiresAt, '—', now)})
          </Text>
        </Group>
        <Button
          size="xs"
          variant="subtle"
          onClick={onRenew}
          disabled={renewing}
          title="Issue another credential; the one shown keeps working until it expires or you revoke it"
        >
          New credential
        </Button>
      </Group>
      {reused && (
        <Text size="xs" c="dimmed" data-testid="credential-reused">
          The credential you already have for this export: Mount hands it out again until it nears expiry
          instead of issuing a new one each time.
        </Text>
      )}
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
        Anyone with these can use the export until they expire. Revoke them sooner under Your mount
        credentials on the Storage page.
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
