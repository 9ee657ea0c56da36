// Drag and drop of files and whole folders onto the page, and the pickers (files, or a folder) for those who
// cannot drag (phones, keyboards). Folders are walked through webkitGetAsEntry into the upload batch.
import { Box, Button, FileButton, Group, Overlay, Text } from '@mantine/core';
import { type DragEvent, type ReactNode, useRef, useState } from 'react';
import { notifyFailure } from '../../lib/notify';
import { type CollectedBatch, collectDropped, collectPicked, type DroppedEntry } from './dropped-files';

export interface DropZoneProps {
  /** Off for read-only access: nothing can be dropped. */
  enabled: boolean;
  folder: string;
  onBatch: (batch: CollectedBatch) => void;
  children: ReactNode;
}

export function DropZone({ enabled, folder, onBatch, children }: DropZoneProps) {
  const [over, setOver] = useState(false);
  const depth = useRef(0);
  const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');
  if (!enabled) return <>{children}</>;
  return (
    <Box
      pos="relative"
      data-testid="drop-zone"
      onDragEnter={(event) => {
        if (!hasFiles(event)) return;
        depth.current += 1;
        setOver(true);
      }}
      onDragLeave={() => {
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDragOver={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
      }}
      onDrop={(event) => {
        event.preventDefault();
        depth.current = 0;
        setOver(false);
        // The entries must be taken now: the DataTransfer empties once this handler returns. An item without
        // an entry (some sources, a drop a script made) still has its file: it goes in as a plain file.
        const entries: DroppedEntry[] = [];
        const loose: File[] = [];
        for (const item of Array.from(event.dataTransfer.items)) {
          if (item.kind !== 'file') continue;
          const entry = item.webkitGetAsEntry();
          if (entry) {
            entries.push(entry as unknown as DroppedEntry); // the DOM's FileSystemEntry, structurally
          } else {
            const file = item.getAsFile();
            if (file) loose.push(file);
          }
        }
        collectDropped(entries, folder).then(
          (walked) => onBatch(mergeBatches(walked, collectPicked(loose, folder))),
          (error: unknown) => notifyFailure('Could not read what was dropped', error),
        );
      }}
    >
      {children}
      {over && (
        <Overlay color="#228be6" backgroundOpacity={0.12} blur={0} radius="md">
          <Text ta="center" fw={600} mt="xl">
            Drop to upload here
          </Text>
        </Overlay>
      )}
    </Box>
  );
}

function mergeBatches(a: CollectedBatch, b: CollectedBatch): CollectedBatch {
  return {
    folders: [...(a.folders ?? []), ...(b.folders ?? [])],
    files: [...a.files, ...b.files],
    skipped: [...a.skipped, ...b.skipped],
  };
}

/** "Upload files" and (unless `folders` is false) "Upload folder" buttons. */
export function UploadButtons({
  folder,
  onBatch,
  folders = true,
}: {
  folder: string;
  onBatch: (batch: CollectedBatch) => void;
  folders?: boolean;
}) {
  const folderInput = useRef<HTMLInputElement>(null);
  return (
    <Group gap="xs">
      <FileButton multiple onChange={(files) => onBatch(collectPicked(files, folder))}>
        {(props) => (
          <Button size="sm" {...props}>
            Upload files
          </Button>
        )}
      </FileButton>
      {folders && (
        <Button size="sm" variant="default" onClick={() => folderInput.current?.click()}>
          Upload folder
        </Button>
      )}
      <input
        ref={folderInput}
        type="file"
        hidden
        data-testid="folder-input"
        // Not in React's types: the attribute every current browser takes for folder picking.
        {...{ webkitdirectory: '' }}
        onChange={(event) => {
          const files = Array.from(event.currentTarget.files ?? []);
          event.currentTarget.value = '';
          if (files.length > 0) onBatch(collectPicked(files, folder));
        }}
      />
    </Group>
  );
}
