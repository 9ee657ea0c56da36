// The file picked in the composer, before it is sent: its name and size, how much of it has gone up, and a
// way to drop it (which also stops an upload under way).
import { CloseButton, Group, Paper, Progress, Stack, Text } from '@mantine/core';
import { formatBytes } from '../storage/storage-format';
import { PaperclipIcon } from './paperclip-icon';

export interface PendingAttachmentProps {
  file: File;
  uploading: boolean;
  /** 0–1 while uploading. */
  progress: number;
  /** Undefined while the file can no longer be taken back (the message is out). */
  onRemove: (() => void) | undefined;
}

export function PendingAttachment({ file, uploading, progress, onRemove }: PendingAttachmentProps) {
  const percent = Math.round(progress * 100);
  return (
    <Paper withBorder px="sm" py={6} radius="md" data-testid="pending-attachment">
      <Stack gap={4}>
        <Group gap="xs" wrap="nowrap" justify="space-between">
          <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
            <PaperclipIcon size={16} />
            <Text size="sm" truncate title={file.name}>
              {file.name}{' '}
              <Text span size="xs" c="dimmed">
                {formatBytes(file.size)}
              </Text>
            </Text>
          </Group>
          {onRemove && (
            <CloseButton
              size="sm"
              onClick={onRemove}
              aria-label={uploading ? `Stop uploading ${file.name}` : `Remove ${file.name}`}
            />
          )}
        </Group>
        {uploading && (
          <Progress
            value={percent}
            size="sm"
            animated={percent < 100}
            aria-label={`Uploading ${file.name}: ${percent}%`}
          />
        )}
      </Stack>
    </Paper>
  );
}
