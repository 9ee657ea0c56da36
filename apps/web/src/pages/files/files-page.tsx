// /files/:exportId/*: one folder of an export, straight from its agent (files never pass through Homeport):
// listing with sort and filter, breadcrumb, preview, download (a folder as ZIP), uploads by drag and drop
// or pickers, new folder, rename, move, copy, delete, share links, and live refresh while it changes.
import { Alert, Anchor, Breadcrumbs, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { ApiError } from '../../api/api-error';
import type { StorageExport } from '../../api/types';
import { useCurrentUser } from '../../auth/auth-context';
import { AsyncContent } from '../../components/async-content';
import { EmptyList } from '../../components/empty-list';
import { PageHeader } from '../../components/page-header';
import { TableSkeleton } from '../../components/table-skeleton';
import { useConfirm } from '../../components/use-confirm';
import { useAsyncData } from '../../hooks/use-async-data';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import { DropZone, UploadButtons } from './drop-zone';
import type { CollectedBatch } from './dropped-files';
import { type EntryAction, EntryMenu } from './entry-menu';
import { breadcrumbs, filesPageUrl, joinPath, pathFromPageUrl } from './file-paths';
import { FileTable } from './file-table';
import { createFilesApi } from './files-api';
import type { FileEntry } from './files-types';
import { FolderPickerModal } from './folder-picker-modal';
import { NameModal } from './name-modal';
import { PreviewModal } from './preview-modal';
import { ShareLinkModal, type ShareTarget } from './share-link-modal';
import { DEFAULT_SORT, filterEntries, type SortOrder, sortEntries } from './sort-filter';
import { UploadPanel } from './upload-panel';
import { useAgentSession, useUploads } from './use-agent-session';
import { useCoalesced } from './use-coalesced';
import { useFolderWatch } from './use-folder-watch';

export default function FilesPage() {
  const api = useApi();
  const { exportId = '' } = useParams();
  const { pathname } = useLocation();
  const exports = useAsyncData(useCallback((signal: AbortSignal) => api.nas.listExports({ signal }), [api]));
  const path = pathFromPageUrl(pathname, exportId);
  return (
    <AsyncContent
      result={exports}
      errorTitle="Could not load your exports"
      skeleton={<TableSkeleton rows={6} />}
    >
      {(list) => {
        const item = list.find((candidate) => candidate.id === exportId);
        if (!item || path === null) {
          return (
            <EmptyList
              title="No such folder"
              description={
                <>
                  It does not exist, or it is not shared with you.{' '}
                  <Anchor component={Link} to="/storage">
                    Back to Storage
                  </Anchor>
                </>
              }
            />
          );
        }
        return <FilesBrowser key={item.id} exportItem={item} path={path} onSessionEnded={exports.reload} />;
      }}
    </AsyncContent>
  );
}

type Dialog =
  | { kind: 'none' }
  | { kind: 'new-folder' }
  | { kind: 'rename'; entry: FileEntry }
  | { kind: 'move' | 'copy'; entry: FileEntry }
  | { kind: 'preview'; entry: FileEntry }
  | { kind: 'share'; target: ShareTarget };

interface FilesBrowserProps {
  exportItem: StorageExport;
  path: string;
  /** Called when Homeport refused the browser credential for want of a session: the API client's own
   * request then notices the ended session and sends the person to sign in, as on every other page. */
  onSessionEnded: () => void;
}

function FilesBrowser({ exportItem, path, onSessionEnded }: FilesBrowserProps) {
  const navigate = useNavigate();
  const user = useCurrentUser();
  const filesApi = useMemo(() => createFilesApi(), []);
  const issue = useCallback(() => filesApi.browserAccess(exportItem.id), [filesApi, exportItem.id]);
  const refresh = useCoalesced(() => listing.reload());
  const session = useAgentSession(issue, refresh);
  const uploads = useUploads(session.uploads);
  const listing = useAsyncData(
    useCallback((signal: AbortSignal) => session.client.list(path, signal), [session, path]),
  );
  const [readonlyAccess, setReadonlyAccess] = useState(exportItem.access === 'read-only');
  useEffect(() => {
    // The credential says what the agent will allow; the export list may be a moment old.
    session.keeper.get().then(
      (access) => setReadonlyAccess(access.readonly),
      () => undefined, // the listing reports the failure
    );
  }, [session]);
  const sessionEnded = listing.error instanceof ApiError && listing.error.status === 401;
  useEffect(() => {
    if (sessionEnded) onSessionEnded();
  }, [sessionEnded, onSessionEnded]);
  const canWrite = !readonlyAccess;
  const canShare = user.role === 'admin' || canWrite;

  useFolderWatch(session.keeper, path, refresh, listing.data !== undefined);

  const [sort, setSort] = useState<SortOrder>(DEFAULT_SORT);
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<Dialog>({ kind: 'none' });
  // Kept while a dialog closes, so its content does not vanish during the animation.
  const [lastDialog, setLastDialog] = useState<Dialog>({ kind: 'none' });
  const open = (next: Dialog) => {
    setDialog(next);
    setLastDialog(next);
  };
  const close = () => setDialog({ kind: 'none' });

  const go = (folder: string) => navigate(filesPageUrl(exportItem.id, folder));
  const entryPath = (entry: FileEntry) => joinPath(path, entry.name);
  const isFolder = (entry: FileEntry) => entry.kind === 'folder';

  const remove = useConfirm<FileEntry>({
    title: (entry) => `Delete ${entry.name}?`,
    confirmLabel: () => 'Delete',
    body: (entry) => (
      <Text size="sm">
        {isFolder(entry)
          ? 'The folder and everything in it are deleted from the node. This cannot be undone.'
          : 'The file is deleted from the node. This cannot be undone.'}
      </Text>
    ),
    onConfirm: async (entry) => {
      try {
        await session.client.remove(entryPath(entry), isFolder(entry));
        notifySuccess(`Deleted ${entry.name}`);
        listing.reload();
      } catch (error) {
        notifyFailure(`Could not delete ${entry.name}`, error);
        throw error;
      }
    },
  });

  const onAction = async (action: EntryAction, entry: FileEntry) => {
    switch (action) {
      case 'open':
        if (isFolder(entry)) go(entryPath(entry));
        else open({ kind: 'preview', entry });
        return;
      case 'download':
      case 'zip':
        try {
          window.location.assign(await session.client.link(entryPath(entry), action));
        } catch (error) {
          notifyFailure(`Could not download ${entry.name}`, error);
        }
        return;
      case 'share':
        open({
          kind: 'share',
          target: { exportId: exportItem.id, path: entryPath(entry), name: entry.name, kind: entry.kind },
        });
        return;
      case 'delete':
        remove.ask(entry);
        return;
      case 'rename':
      case 'move':
      case 'copy':
        open({ kind: action, entry });
        return;
    }
  };

  const onBatch = (batch: CollectedBatch) => {
    if (batch.skipped.length > 0) {
      notifyFailure(
        `Left out ${batch.skipped.length} item(s)`,
        new Error(`Names the node cannot hold, or unreadable: ${batch.skipped.slice(0, 5).join(', ')}`),
      );
    }
    if (batch.files.length > 0 || (batch.folders?.length ?? 0) > 0) session.uploads.add(batch);
  };

  const runChange = async (what: string, change: () => Promise<void>, done: string) => {
    try {
      await change();
      notifySuccess(done);
      listing.reload();
    } catch (error) {
      notifyFailure(what, error);
      throw error;
    }
  };

  const crumbs = breadcrumbs(path, exportItem.label);
  const entries = listing.data ? sortEntries(filterEntries(listing.data.entries, filter), sort) : [];
  const shown = lastDialog;
  const shownEntry =
    shown.kind !== 'none' && shown.kind !== 'new-folder' && shown.kind !== 'share' ? shown.entry : null;

  return (
    <DropZone enabled={canWrite} folder={path} onBatch={onBatch}>
      <PageHeader
        title={exportItem.label}
        description={
          canWrite ? 'Drop files or folders here to upload them.' : 'Read-only: you can open and download.'
        }
        actions={
          <Button component={Link} to="/shares" variant="subtle" size="sm">
            Share links
          </Button>
        }
      />
      <Stack gap="md">
        <Breadcrumbs
          component="nav"
          separator="/"
          aria-label="Folder path"
          style={{ flexWrap: 'wrap', rowGap: 4 }}
        >
          {crumbs.map((crumb, index) =>
            index === crumbs.length - 1 ? (
              <Text key={crumb.path} fw={600} aria-current="page" style={{ wordBreak: 'break-word' }}>
                {crumb.name}
              </Text>
            ) : (
              <Anchor key={crumb.path} component={Link} to={filesPageUrl(exportItem.id, crumb.path)}>
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
          <Group gap="xs">
            {canWrite && <UploadButtons folder={path} onBatch={onBatch} />}
            {canWrite && (
              <Button size="sm" variant="default" onClick={() => open({ kind: 'new-folder' })}>
                New folder
              </Button>
            )}
            <Button
              size="sm"
              variant="default"
              onClick={async () => {
                try {
                  window.location.assign(await session.client.link(path, 'zip'));
                } catch (error) {
                  notifyFailure('Could not download the folder', error);
                }
              }}
            >
              Download as ZIP
            </Button>
            {canShare && (
              <Button
                size="sm"
                variant="default"
                onClick={() =>
                  open({
                    kind: 'share',
                    target: {
                      exportId: exportItem.id,
                      path,
                      name: crumbs.at(-1)?.name ?? exportItem.label,
                      kind: 'folder',
                    },
                  })
                }
              >
                Share folder
              </Button>
            )}
          </Group>
        </Group>
        <UploadPanel queue={session.uploads} snapshot={uploads} />
        <AsyncContent
          result={listing}
          errorTitle="Could not list this folder"
          skeleton={<TableSkeleton rows={6} />}
        >
          {(data) => (
            <Stack gap="xs">
              {data.truncated && (
                <Alert color="yellow">
                  This folder holds more entries than the node lists at once; not all are shown.
                </Alert>
              )}
              {data.entries.length === 0 ? (
                <EmptyList
                  title="This folder is empty"
                  description={canWrite ? 'Drop files here, or use Upload files.' : undefined}
                />
              ) : entries.length === 0 ? (
                <Text c="dimmed">Nothing here matches “{filter}”.</Text>
              ) : (
                <FileTable
                  entries={entries}
                  sort={sort}
                  onSort={setSort}
                  onOpen={(entry) => void onAction('open', entry)}
                  actions={(entry) => (
                    <EntryMenu
                      entry={entry}
                      canWrite={canWrite}
                      canShare={canShare}
                      onAction={(action, target) => void onAction(action, target)}
                    />
                  )}
                />
              )}
            </Stack>
          )}
        </AsyncContent>
      </Stack>
      {remove.dialog}
      <PreviewModal
        client={session.client}
        folder={path}
        entry={shown.kind === 'preview' ? shown.entry : null}
        opened={dialog.kind === 'preview'}
        onClose={close}
      />
      <NameModal
        opened={dialog.kind === 'new-folder'}
        title="New folder"
        submitLabel="Create"
        initial=""
        onSubmit={(name) =>
          runChange(
            'Could not create the folder',
            () => session.client.createFolder(joinPath(path, name)),
            `Created ${name}`,
          )
        }
        onClose={close}
      />
      <NameModal
        opened={dialog.kind === 'rename'}
        title={`Rename ${shownEntry?.name ?? ''}`}
        submitLabel="Rename"
        initial={shownEntry?.name ?? ''}
        onSubmit={async (name) => {
          if (!shownEntry || name === shownEntry.name) return;
          await runChange(
            `Could not rename ${shownEntry.name}`,
            () => session.client.move(entryPath(shownEntry), joinPath(path, name), isFolder(shownEntry)),
            `Renamed to ${name}`,
          );
        }}
        onClose={close}
      />
      <FolderPickerModal
        opened={dialog.kind === 'move' || dialog.kind === 'copy'}
        title={`${shown.kind === 'copy' ? 'Copy' : 'Move'} ${shownEntry?.name ?? ''} to…`}
        submitLabel={shown.kind === 'copy' ? 'Copy' : 'Move'}
        client={session.client}
        rootName={exportItem.label}
        start={path}
        moving={shownEntry ? { path: entryPath(shownEntry), folder: isFolder(shownEntry) } : null}
        onSubmit={async (folder) => {
          if (!shownEntry) return;
          const verb = shown.kind === 'copy' ? 'copy' : 'move';
          let to = joinPath(folder, shownEntry.name);
          if (to === entryPath(shownEntry)) {
            if (verb === 'move') return;
            // A copy beside the original needs a name of its own.
            to = joinPath(folder, copyName(shownEntry));
          }
          await runChange(
            `Could not ${verb} ${shownEntry.name}`,
            () => session.client[verb](entryPath(shownEntry), to, isFolder(shownEntry)),
            `${verb === 'copy' ? 'Copied' : 'Moved'} ${shownEntry.name} to ${folder}`,
          );
        }}
        onClose={close}
      />
      <ShareLinkModal
        api={filesApi}
        target={shown.kind === 'share' ? shown.target : null}
        opened={dialog.kind === 'share'}
        onClose={close}
      />
    </DropZone>
  );
}

/** "report.pdf" → "report copy.pdf"; a folder "photos" → "photos copy". */
function copyName(entry: FileEntry): string {
  const dot = entry.kind === 'file' ? entry.name.lastIndexOf('.') : -1;
  return dot > 0 ? `${entry.name.slice(0, dot)} copy${entry.name.slice(dot)}` : `${entry.name} copy`;
}
