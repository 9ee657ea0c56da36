// A file drop: visitors upload files into the shared folder and see nothing of what is in it. Only files,
// straight into that folder (the credential allows no new folders and never replaces a file).
import { Alert, Stack, Text, Title } from '@mantine/core';
import { notifyFailure } from '../../lib/notify';
import { DropZone, UploadButtons } from '../files/drop-zone';
import type { CollectedBatch } from '../files/dropped-files';
import { UploadPanel } from '../files/upload-panel';
import { useAgentSession, useUploads } from '../files/use-agent-session';
import { type SharedItemProps, useShareIssue } from './shared-file';

export function SharedDrop({ share, reopen }: SharedItemProps) {
  const issue = useShareIssue(share, reopen);
  const session = useAgentSession(issue, () => undefined);
  const uploads = useUploads(session.uploads);
  const onBatch = (batch: CollectedBatch) => {
    const files = batch.files.filter((file) => file.folder === share.path);
    const left = batch.files.length - files.length + batch.skipped.length;
    if (left > 0 || (batch.folders?.length ?? 0) > 0) {
      notifyFailure(
        'Only files can be dropped here',
        new Error(`${left} item(s) inside folders were left out: drop the files themselves.`),
      );
    }
    if (files.length > 0) session.uploads.add({ files });
  };
  return (
    <DropZone enabled folder={share.path} onBatch={onBatch}>
      <Stack gap="md">
        <Title order={1} size="h2" style={{ wordBreak: 'break-word' }}>
          Send files to {share.name}
        </Title>
        <Text c="dimmed">
          Drop files here or pick them. You cannot see what is already in this folder, and a file with a name
          that is already taken is not replaced.
        </Text>
        <UploadButtons folder={share.path} onBatch={onBatch} folders={false} />
        <UploadPanel queue={session.uploads} snapshot={uploads} allowReplace={false} />
        {uploads.tasks.length > 0 &&
          !uploads.busy &&
          uploads.tasks.every((task) => task.state === 'done') && (
            <Alert color="teal">All files were delivered.</Alert>
          )}
      </Stack>
    </DropZone>
  );
}
