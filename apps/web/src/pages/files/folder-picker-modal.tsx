// Picks the folder to move or copy an entry into: browse the export's folders from the root, then choose.
// A folder cannot go into itself or below itself, so those are not offered.
import { Anchor, Breadcrumbs, Button, Group, Loader, Modal, ScrollArea, Stack, Text } from '@mantine/core';
import { useCallback, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { useAsyncData } from '../../hooks/use-async-data';
import type { AgentClient } from './agent-client';
import { breadcrumbs, isSameOrInside, joinPath } from './file-paths';
import { sortEntries } from './sort-filter';

export interface FolderPickerModalProps {
  opened: boolean;
  title: string;
  submitLabel: string;
  client: AgentClient;
  rootName: string;
  start: string;
  /** The item being moved: it and what is inside it cannot be the destination. */
  moving: { path: string; folder: boolean } | null;
  onSubmit: (folder: string) => Promise<void>;
  onClose: () => void;
}

export function FolderPickerModal(props: FolderPickerModalProps) {
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={props.title} size="lg">
      {props.opened && <Picker {...props} />}
    </Modal>
  );
}

function Picker({ submitLabel, client, rootName, start, moving, onSubmit, onClose }: FolderPickerModalProps) {
  const [folder, setFolder] = useState(start);
  const [pending, setPending] = useState(false);
  const listing = useAsyncData(
    useCallback((signal: AbortSignal) => client.list(folder, signal), [client, folder]),
  );
  const folders = sortEntries(
    (listing.data?.entries ?? []).filter((entry) => entry.kind === 'folder'),
    { key: 'name', direction: 'asc' },
  ).filter((entry) => !(moving?.folder && isSameOrInside(joinPath(folder, entry.name), moving.path)));
  const submit = async () => {
    setPending(true);
    try {
      await onSubmit(folder);
      onClose();
    } catch {
      // Reported by the caller; stay open to pick another folder.
    } finally {
      setPending(false);
    }
  };
  return (
    <Stack gap="md">
      <Breadcrumbs separator="/" style={{ flexWrap: 'wrap' }}>
        {breadcrumbs(folder, rootName).map((crumb) => (
          <Anchor
            key={crumb.path}
            component="button"
            type="button"
            size="sm"
            onClick={() => setFolder(crumb.path)}
          >
            {crumb.name}
          </Anchor>
        ))}
      </Breadcrumbs>
      <ScrollArea.Autosize mah={320}>
        {listing.data === undefined && listing.loading && <Loader size="sm" />}
        {listing.error !== undefined && <Text c="red">{errorMessage(listing.error)}</Text>}
        <Stack gap={4}>
          {folders.map((entry) => (
            <Anchor
              key={entry.name}
              component="button"
              type="button"
              ta="left"
              onClick={() => setFolder(joinPath(folder, entry.name))}
            >
              {entry.name}/
            </Anchor>
          ))}
          {listing.data && folders.length === 0 && (
            <Text size="sm" c="dimmed">
              No folders here
            </Text>
          )}
        </Stack>
      </ScrollArea.Autosize>
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} disabled={pending}>
          Cancel
        </Button>
        <Button onClick={submit} loading={pending}>
          {submitLabel} here
        </Button>
      </Group>
    </Stack>
  );
}
