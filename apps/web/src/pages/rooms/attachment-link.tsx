// A file sent with a message, offered as a download only: its name is text, the link asks the browser to
// save it, and the server sends it as bytes with an attachment disposition (never shown inline, so a file
// someone sent cannot run as a page of this origin).
import { Anchor, Group, Paper, Text } from '@mantine/core';
import { formatBytes } from '../storage/storage-format';
import type { MessageAttachment } from './api/bus-types';
import { PaperclipIcon } from './paperclip-icon';

export interface AttachmentLinkProps {
  attachment: MessageAttachment;
  href: string;
}

export function AttachmentLink({ attachment, href }: AttachmentLinkProps) {
  return (
    <Paper withBorder px="sm" py={6} radius="md" data-testid="attachment">
      <Group gap="xs" wrap="nowrap">
        <PaperclipIcon size={16} />
        <Anchor
          href={href}
          // The attribute names the saved file; the server's Content-Disposition says the same.
          download={attachment.name}
          rel="noopener"
          size="sm"
          style={{ overflowWrap: 'anywhere' }}
          aria-label={`Download ${attachment.name} (${formatBytes(attachment.size)})`}
        >
          {attachment.name}
        </Anchor>
        <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
          {formatBytes(attachment.size)}
        </Text>
      </Group>
    </Paper>
  );
}
