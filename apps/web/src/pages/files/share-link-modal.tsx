// Makes a share link for a file or folder: view (and download), or for a folder a file drop (visitors upload,
// and can see nothing); an expiry (7 days unless changed, at most 90); an optional password. The link with
// its secret is shown once, with a Copy button: the server keeps only a hash of the secret.
import {
  Alert,
  Button,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { FormActions } from '../../components/form-actions';
import { formatDateTime } from '../../lib/format';
import { CopyField } from '../storage/copy-controls';
import type { FilesApi } from './files-api';
import type { CreatedShare, EntryKind, ShareMode } from './files-types';

export const DEFAULT_SHARE_DAYS = 7;
export const MAX_SHARE_DAYS = 90;
export const MIN_SHARE_PASSWORD = 8;

export interface ShareTarget {
  exportId: string;
  path: string;
  name: string;
  kind: EntryKind;
}

export interface ShareLinkModalProps {
  api: FilesApi;
  target: ShareTarget | null;
  opened: boolean;
  onClose: () => void;
}

export function ShareLinkModal({ api, target, opened, onClose }: ShareLinkModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={target ? `Share link for ${target.name}` : 'Share link'}
      fullScreen={phone}
    >
      {opened && target && (
        <ShareLinkForm
          key={`${target.exportId}:${target.path}`}
          api={api}
          target={target}
          onClose={onClose}
        />
      )}
    </Modal>
  );
}

function ShareLinkForm({
  api,
  target,
  onClose,
}: {
  api: FilesApi;
  target: ShareTarget;
  onClose: () => void;
}) {
  const [mode, setMode] = useState<ShareMode>('view');
  const [days, setDays] = useState<number | string>(DEFAULT_SHARE_DAYS);
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedShare | null>(null);
  const daysNumber = typeof days === 'number' ? days : Number(days);
  const daysProblem =
    Number.isInteger(daysNumber) && daysNumber >= 1 && daysNumber <= MAX_SHARE_DAYS
      ? null
      : `Between 1 and ${MAX_SHARE_DAYS} days`;
  const passwordProblem =
    password !== '' && password.length < MIN_SHARE_PASSWORD
      ? `At least ${MIN_SHARE_PASSWORD} characters`
      : null;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (daysProblem || passwordProblem) return;
    setPending(true);
    setError(undefined);
    try {
      setCreated(
        await api.createShare(target.exportId, {
          path: target.path,
          kind: target.kind,
          mode,
          expiresInDays: daysNumber,
          ...(password === '' ? {} : { password }),
        }),
      );
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  if (created) {
    return (
      <Stack gap="md">
        {/* Relative when the server has no public URL configured: this page's origin is the one people use. */}
        <CopyField label="Link" value={new URL(created.url, window.location.origin).href} />
        <Text size="sm">
          {created.share.mode === 'drop'
            ? 'Anyone with this link can upload files into this folder, and see nothing in it.'
            : 'Anyone with this link can see and download it.'}{' '}
          It works until {formatDateTime(created.share.expiresAt)}
          {password === '' ? '' : ', with the password you set'}. This is the only time the link is shown:
          copy it now. You can revoke it under Share links.
        </Text>
        <Group justify="flex-end">
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    );
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        {target.kind === 'folder' && (
          <SegmentedControl
            aria-label="What visitors can do"
            value={mode}
            onChange={(value) => setMode(value === 'drop' ? 'drop' : 'view')}
            data={[
              { value: 'view', label: 'View and download' },
              { value: 'drop', label: 'File drop (upload only)' },
            ]}
          />
        )}
        <NumberInput
          label="Expires after (days)"
          min={1}
          max={MAX_SHARE_DAYS}
          value={days}
          onChange={setDays}
          error={daysProblem}
          allowDecimal={false}
        />
        <PasswordInput
          label="Password (optional)"
          description="Visitors must type it to open the link."
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={passwordProblem}
          autoComplete="new-password"
        />
        {error !== undefined && (
          <Alert color="red" title="Could not create the link">
            {errorMessage(error)}
          </Alert>
        )}
        <FormActions submitLabel="Create link" pending={pending} onCancel={onClose} />
      </Stack>
    </form>
  );
}
