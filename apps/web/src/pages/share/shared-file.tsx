// A shared file: its name, Download, and Open (the agent serves it sandboxed on its own origin).
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { notifyFailure } from '../../lib/notify';
import type { OpenedShare } from '../files/files-types';
import { useAgentSession } from '../files/use-agent-session';

export interface SharedItemProps {
  share: OpenedShare;
  /** Opens the link again for a fresh credential (the first one came with `share`). */
  reopen: () => Promise<OpenedShare>;
}

/** The credential keeper's issue function: the first answer, then the link opened again. */
export function useShareIssue(share: OpenedShare, reopen: () => Promise<OpenedShare>) {
  const [first] = useState(() => ({ used: false }));
  return useCallback(async () => {
    if (!first.used) {
      first.used = true;
      return share;
    }
    return reopen();
  }, [first, share, reopen]);
}

export function SharedFile({ share, reopen }: SharedItemProps) {
  const issue = useShareIssue(share, reopen);
  const session = useAgentSession(issue, () => undefined);
  const [openUrl, setOpenUrl] = useState<string | null>(null);
  useEffect(() => {
    session.client.link(share.path, 'inline').then(setOpenUrl, () => setOpenUrl(null));
  }, [session, share.path]);
  const download = async () => {
    try {
      window.location.assign(await session.client.link(share.path, 'download'));
    } catch (error) {
      notifyFailure('Could not download', error);
    }
  };
  return (
    <Stack gap="md">
      <Title order={1} size="h2" style={{ wordBreak: 'break-word' }}>
        {share.name}
      </Title>
      <Text c="dimmed">A file shared with you.</Text>
      <Group gap="sm">
        <Button onClick={() => void download()}>Download</Button>
        {openUrl && (
          <Button component="a" href={openUrl} target="_blank" rel="noopener noreferrer" variant="default">
            Open in the browser
          </Button>
        )}
      </Group>
    </Stack>
  );
}
