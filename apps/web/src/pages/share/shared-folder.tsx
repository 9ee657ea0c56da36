// A shared folder: browse it and what is below it (never above: the credential reaches nothing else),
// preview and download files, download any folder as ZIP.
import { Anchor, Breadcrumbs, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { notifyFailure } from '../../lib/notify';
import { EntryMenu } from '../files/entry-menu';
import { joinPath, pathOf, segmentsOf } from '../files/file-paths';
import { FileTable } from '../files/file-table';
import type { FileEntry } from '../files/files-types';
import { PreviewModal } from '../files/preview-modal';
import { DEFAULT_SORT, filterEntries, type SortOrder, sortEntries } from '../files/sort-filter';
import { useAgentSession } from '../files/use-agent-session';
import { useCoalesced } from '../files/use-coalesced';
import { useFolderWatch } from '../files/use-folder-watch';
import { type SharedItemProps, useShareIssue } from './shared-file';

export function SharedFolder({ share, reopen }: SharedItemProps) {
  const issue = useShareIssue(share, reopen);
  const session = useAgentSession(issue, () => undefined);
  const root = share.path;
  const [path, setPath] = useState(root);
  const [sort, setSort] = useState<SortOrder>(DEFAULT_SORT);
  const [filter, setFilter] = useState('');
  const [preview, setPreview] = useState<FileEntry | null>(null);
  const [previewOpen, setPreviewOpen] = useState(false);
  const listing = useAsyncData(
    useCallback((signal: AbortSignal) => session.client.list(path, signal), [session, path]),
  );
  const refresh = useCoalesced(() => listing.reload());
  useFolderWatch(session.keeper, path, refresh, listing.data !== undefined);

  const below = segmentsOf(path).slice(segmentsOf(root).length);
  const crumbs = [
    { name: share.name, path: root },
    ...below.map((name, index) => ({
      name,
      path: pathOf([...segmentsOf(root), ...below.slice(0, index + 1)]),
    })),
  ];
  const download = async (target: string, as: 'download' | 'zip') => {
    try {
      window.location.assign(await session.client.link(target, as));
    } catch (error) {
      notifyFailure('Could not download', error);
    }
  };
  const onOpen = (entry: FileEntry) => {
    if (entry.kind === 'folder') setPath(joinPath(path, entry.name));
    else {
      setPreview(entry);
      setPreviewOpen(true);
    }
  };

  return (
    <Stack gap="md">
      <Title order={1} size="h2" style={{ wordBreak: 'break-word' }}>
        {share.name}
      </Title>
      <Breadcrumbs
        component="nav"
        separator="/"
        aria-label="Folder path"
        style={{ flexWrap: 'wrap', rowGap: 4 }}
      >
        {crumbs.map((crumb, index) =>
          index === crumbs.length - 1 ? (
            <Text key={crumb.path} fw={600} aria-current="page">
              {crumb.name}
            </Text>
          ) : (
            <Anchor key={crumb.path} component="button" type="button" onClick={() => setPath(crumb.path)}>
              {crumb.name}
            </Anchor>
          ),
        )}
      </Breadcrumbs>
      <Group justify="space-between" gap="sm">
        <TextInput
          placeholder="Filter by name"
          aria-label="Filter by name"
          value={filter}
          onChange={(event) => setFilter(event.currentTarget.value)}
          style={{ flex: '1 1 200px', maxWidth: 360 }}
        />
        <Button variant="default" onClick={() => void download(path, 'zip')}>
          Download as ZIP
        </Button>
      </Group>
      <AsyncContent
        result={listing}
        errorTitle="Could not list this folder"
        skeleton={<TableSkeleton rows={5} />}
      >
        {(data) =>
          data.entries.length === 0 ? (
            <EmptyList title="This folder is empty" />
          ) : (
            <FileTable
              entries={sortEntries(filterEntries(data.entries, filter), sort)}
              sort={sort}
              onSort={setSort}
              onOpen={onOpen}
              actions={(entry) => (
                <EntryMenu
                  entry={entry}
                  canWrite={false}
                  canShare={false}
                  onAction={(action, target) => {
                    if (action === 'open') onOpen(target);
                    else if (action === 'download' || action === 'zip')
                      void download(joinPath(path, target.name), action);
                  }}
                />
              )}
            />
          )
        }
      </AsyncContent>
      <PreviewModal
        client={session.client}
        folder={path}
        entry={preview}
        opened={previewOpen}
        onClose={() => setPreviewOpen(false)}
      />
    </Stack>
  );
}
