// Opens a file in the page: images, audio and video straight from the agent (the credential in the URL, so
// the browser's own Range requests work for seeking), text as characters in a <pre> (HTML and SVG sources
// included: never rendered), a PDF as an <object> of a Blob typed as PDF (the agent sends PDFs as attachments). Anything else offers its download.
import { Alert, Button, Center, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import type { AgentClient } from './agent-client';
import { isAbort } from './agent-error';
import { joinPath } from './file-paths';
import type { FileEntry } from './files-types';
import { previewKind, TEXT_PREVIEW_BYTES } from './preview-kind';

export interface PreviewModalProps {
  client: AgentClient;
  folder: string;
  entry: FileEntry | null;
  opened: boolean;
  onClose: () => void;
}

export function PreviewModal({ client, folder, entry, opened, onClose }: PreviewModalProps) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <Modal opened={opened} onClose={onClose} title={entry?.name ?? 'Preview'} size="xl" fullScreen={phone}>
      {opened && entry && (
        <Preview key={entry.name} client={client} path={joinPath(folder, entry.name)} entry={entry} />
      )}
    </Modal>
  );
}

type Loaded =
  | { state: 'loading' }
  | { state: 'url'; url: string }
  | { state: 'text'; text: string; truncated: boolean }
  | { state: 'failed'; error: unknown };

function Preview({ client, path, entry }: { client: AgentClient; path: string; entry: FileEntry }) {
  const kind = previewKind(entry);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    let blobUrl: string | undefined;
    const load = async (): Promise<Loaded> => {
      if (kind === 'text')
        return { state: 'text', ...(await client.readText(path, TEXT_PREVIEW_BYTES, controller.signal)) };
      if (kind === 'pdf') {
        const blob = await client.readBlob(path, controller.signal);
        // The type is ours, not the file's: this blob can only ever be shown by the PDF viewer.
        blobUrl = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
        return { state: 'url', url: blobUrl };
      }
      return { state: 'url', url: await client.link(path, 'inline') };
    };
    load().then(
      (value) => {
        if (!controller.signal.aborted) setLoaded(value);
      },
      (error: unknown) => {
        if (!isAbort(error) && !controller.signal.aborted) setLoaded({ state: 'failed', error });
      },
    );
    return () => {
      controller.abort();
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    };
  }, [client, path, kind]);

  const download = async () => {
    window.location.assign(await client.link(path, 'download'));
  };

  return (
    <Stack gap="md">
      {kind === 'none' && <Text>There is no preview for this kind of file.</Text>}
      {kind !== 'none' && loaded.state === 'loading' && (
        <Center mih={160}>
          <Loader />
        </Center>
      )}
      {loaded.state === 'failed' && (
        <Alert color="red" title="Could not open the file">
          {errorMessage(loaded.error)}
        </Alert>
      )}
      {loaded.state === 'url' && kind === 'image' && (
        <img
          src={loaded.url}
          alt={entry.name}
          style={{ maxWidth: '100%', maxHeight: '70vh', objectFit: 'contain' }}
        />
      )}
      {loaded.state === 'url' && kind === 'video' && (
        // biome-ignore lint/a11y/useMediaCaption: people's own videos come without caption files
        <video src={loaded.url} controls style={{ width: '100%', maxHeight: '70vh' }} />
      )}
      {loaded.state === 'url' && kind === 'audio' && (
        // biome-ignore lint/a11y/useMediaCaption: people's own recordings come without caption files
        <audio src={loaded.url} controls style={{ width: '100%' }} />
      )}
      {loaded.state === 'url' && kind === 'pdf' && (
        <object
          data={loaded.url}
          type="application/pdf"
          aria-label={entry.name}
          style={{ width: '100%', height: '70vh' }}
        >
          <Text>This browser does not show PDFs in the page: use Download.</Text>
        </object>
      )}
      {loaded.state === 'text' && (
        <>
          <pre
            data-testid="text-preview"
            style={{
              maxHeight: '60vh',
              overflow: 'auto',
              whiteSpace: 'pre-wrap',
              wordBreak: 'break-word',
              margin: 0,
            }}
          >
            {loaded.text}
          </pre>
          {loaded.truncated && (
            <Text size="sm" c="dimmed">
              Only the beginning is shown. Download the file to see all of it.
            </Text>
          )}
        </>
      )}
      <Group justify="flex-end">
        <Button onClick={() => void download()}>Download</Button>
      </Group>
    </Stack>
  );
}
