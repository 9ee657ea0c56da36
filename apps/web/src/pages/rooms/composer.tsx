// Writing to the room: Enter sends, Shift-Enter makes a new line, the paper clip picks a file to send with
// the message. While the message is out the field is locked with the text (and file) still in it; they clear
// when the gateway took the message (which itself appears when its echo comes back on the stream) and stay,
// with the reason, when it was refused. A file goes up first, with its progress shown, then the message.
import { ActionIcon, Alert, FileButton, Group, Stack, Text, Textarea, Tooltip } from '@mantine/core';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { formatBytes } from '../storage/storage-format';
import { MAX_ATTACHMENT_BYTES, type UploadOptions } from './api/bus-client';
import type { MessageAttachment, SendMessageInput } from './api/bus-types';
import { PaperclipIcon } from './paperclip-icon';
import { PendingAttachment } from './pending-attachment';

export interface ComposerProps {
  roomName: string;
  /** Rejects when the message was not taken; the draft stays in the field. */
  onSend: (input: SendMessageInput) => Promise<void>;
  /** Uploads a file for the next message; rejects when it was not taken. */
  onUpload: (file: File, options: UploadOptions) => Promise<MessageAttachment>;
  /** Why nothing can be sent now (waiting for the room key, reconnecting), or undefined. */
  disabledReason?: string | undefined;
  /** Messages taken by the gateway whose echo has not come back yet. */
  onTheirWay: number;
}

/** The gateway's cap is its own; this keeps a pasted novel from being sent by accident. */
export const MAX_MESSAGE_CHARS = 16_000;

type Busy = 'uploading' | 'sending' | undefined;

export function Composer({ roomName, onSend, onUpload, disabledReason, onTheirWay }: ComposerProps) {
  const [draft, setDraft] = useState('');
  const [file, setFile] = useState<File>();
  // The picked file once the gateway took it: a retry after a refused message does not upload it again.
  const [uploaded, setUploaded] = useState<{ file: File; attachment: MessageAttachment }>();
  const [busy, setBusy] = useState<Busy>();
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<unknown>();
  const uploadControl = useRef<AbortController>(undefined);
  const body = draft.trim();
  const tooLong = draft.length > MAX_MESSAGE_CHARS;
  const canSend = (body !== '' || file !== undefined) && !busy && !tooLong && disabledReason === undefined;
  const field = useRef<HTMLTextAreaElement>(null);
  const wasBusy = useRef(false);

  // The field is disabled while the message is out, which takes the focus away: give it back.
  useEffect(() => {
    if (wasBusy.current && !busy) field.current?.focus();
    wasBusy.current = busy !== undefined;
  }, [busy]);
  useEffect(() => () => uploadControl.current?.abort(), []);

  const pick = (picked: File | null) => {
    setError(undefined);
    if (picked === null) return;
    if (picked.size > MAX_ATTACHMENT_BYTES)
      return setError(
        new Error(
          `${picked.name} is ${formatBytes(picked.size)}; a file sent to a room is at most ${formatBytes(MAX_ATTACHMENT_BYTES)}.`,
        ),
      );
    setFile(picked);
  };

  const dropFile = () => {
    uploadControl.current?.abort();
    setFile(undefined);
  };

  const send = async () => {
    if (!canSend) return;
    setError(undefined);
    try {
      let attachment: MessageAttachment | undefined;
      if (file !== undefined) {
        attachment = uploaded?.file === file ? uploaded.attachment : undefined;
        if (attachment === undefined) {
          setBusy('uploading');
          setProgress(0);
          const control = new AbortController();
          uploadControl.current = control;
          attachment = await onUpload(file, {
            signal: control.signal,
            onProgress: (sent, total) => setProgress(total > 0 ? sent / total : 0),
          });
          setUploaded({ file, attachment });
        }
      }
      setBusy('sending');
      await onSend(attachment ? { body: draft, attachment } : { body: draft });
      setDraft('');
      setFile(undefined);
      setUploaded(undefined);
    } catch (reason) {
      // Dropping the file while it went up is not a failure to report.
      if (!(reason instanceof DOMException && reason.name === 'AbortError')) setError(reason);
    } finally {
      uploadControl.current = undefined;
      setBusy(undefined);
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter while an input method composes (Japanese, Chinese…) confirms the composition, not the message.
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  };

  const locked = busy !== undefined || disabledReason !== undefined;
  return (
    <Stack gap={4} pt="xs">
      {error !== undefined && (
        <Alert color="red" variant="light" py={6} role="alert" title="Not sent">
          <Text size="sm">
            {errorMessage(error)} {file || body !== '' ? 'Your message is still in the box below.' : ''}
          </Text>
        </Alert>
      )}
      {file !== undefined && (
        <PendingAttachment
          file={file}
          uploading={busy === 'uploading'}
          progress={progress}
          // While the message itself is out, the file is part of it: it cannot be taken back.
          onRemove={busy === 'sending' ? undefined : dropFile}
        />
      )}
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <FileButton onChange={pick} disabled={locked}>
          {(props) => (
            <Tooltip label="Attach a file (up to 16 MiB)" withArrow>
              <ActionIcon
                {...props}
                variant="subtle"
                color="gray"
                size="lg"
                disabled={locked}
                aria-label="Attach a file"
              >
                <PaperclipIcon />
              </ActionIcon>
            </Tooltip>
          )}
        </FileButton>
        <Textarea
          ref={field}
          style={{ flex: 1 }}
          aria-label={`Message ${roomName}`}
          placeholder={disabledReason ?? `Message ${roomName}`}
          autosize
          minRows={1}
          maxRows={6}
          value={draft}
          onChange={(event) => setDraft(event.currentTarget.value)}
          onKeyDown={onKeyDown}
          disabled={locked}
          error={tooLong ? `At most ${MAX_MESSAGE_CHARS.toLocaleString()} characters` : undefined}
        />
        <ActionIcon
          size="lg"
          onClick={() => void send()}
          disabled={!canSend}
          loading={busy !== undefined}
          aria-label="Send"
        >
          <span aria-hidden>➤</span>
        </ActionIcon>
      </Group>
      <Text size="xs" c="dimmed">
        {onTheirWay > 0
          ? `Sent ${onTheirWay === 1 ? 'a message' : `${onTheirWay} messages`}, waiting for it to come back from the room…`
          : 'Enter sends, Shift+Enter starts a new line.'}
      </Text>
    </Stack>
  );
}
