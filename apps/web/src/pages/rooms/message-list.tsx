// The open room's messages, oldest at the top: earlier pages load when scrolled to the top (or with the
// button there), the view follows new messages while it is at the bottom, and says so when it is not.
// Bodies are text and rendered as text: React escapes them, and nothing here parses markup. Attachments are
// download links, never shown inline.
import { Badge, Box, Button, Center, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { useLayoutEffect, useRef, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import type { RoomMessage } from './api/bus-types';
import { AttachmentLink } from './attachment-link';
import type { MessageLog } from './message-log';
import { formatMessageTime, messageDate } from './room-format';

export interface MessageListProps {
  log: MessageLog;
  loadingEarlier: boolean;
  earlierError: unknown;
  onLoadEarlier: () => void;
  /** Shown when there is nothing at all yet. */
  emptyText: string;
  /** Where an attachment of this room downloads from. */
  attachmentUrl: (attachmentId: string) => string;
}

/** How close to an edge counts as being at it, in pixels. */
const EDGE = 80;

export function MessageList({
  log,
  loadingEarlier,
  earlierError,
  onLoadEarlier,
  emptyText,
  attachmentUrl,
}: MessageListProps) {
  const viewport = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [unseen, setUnseen] = useState(0);
  const previous = useRef<{ first: string | undefined; last: string | undefined; height: number }>({
    first: undefined,
    last: undefined,
    height: 0,
  });

  // After each change of the list, before paint: keep the reader's place when a page went in above, follow
  // the conversation when they were at the bottom (or sent it themselves), count what they have not seen.
  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const first = log.messages[0]?.id;
    const lastMessage = log.messages.at(-1);
    const last = lastMessage?.id;
    const before = previous.current;
    if (before.first !== undefined && first !== before.first && last === before.last) {
      element.scrollTop += element.scrollHeight - before.height;
    } else if (last !== before.last) {
      if (atBottom.current || lastMessage?.mine || before.last === undefined) {
        element.scrollTop = element.scrollHeight;
        setUnseen(0);
      } else setUnseen((count) => count + 1);
    }
    previous.current = { first, last, height: element.scrollHeight };
  }, [log.messages]);

  const onScroll = () => {
    const element = viewport.current;
    if (!element) return;
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < EDGE;
    if (atBottom.current) setUnseen(0);
    if (element.scrollTop < EDGE && !log.complete && !loadingEarlier && earlierError === undefined)
      onLoadEarlier();
  };

  const toBottom = () => {
    const element = viewport.current;
    if (element) element.scrollTop = element.scrollHeight;
    setUnseen(0);
  };

  return (
    <Box pos="relative" style={{ flex: 1, minHeight: 0 }}>
      <Box
        ref={viewport}
        onScroll={onScroll}
        h="100%"
        px="xs"
        py="sm"
        style={{ overflowY: 'auto', overscrollBehavior: 'contain' }}
        role="log"
        aria-label="Messages"
        aria-live="polite"
        data-testid="messages"
      >
        <EarlierControl log={log} loading={loadingEarlier} error={earlierError} onLoad={onLoadEarlier} />
        {log.messages.length === 0 ? (
          <Center h="60%">
            <Text c="dimmed" size="sm" ta="center">
              {emptyText}
            </Text>
          </Center>
        ) : (
          <Stack gap={6} component="ol" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
            {log.messages.map((message, index) => (
              <MessageItem
                key={message.id}
                message={message}
                previous={log.messages[index - 1]}
                attachmentUrl={attachmentUrl}
              />
            ))}
          </Stack>
        )}
      </Box>
      {unseen > 0 && (
        <Button
          size="xs"
          radius="xl"
          onClick={toBottom}
          style={{ position: 'absolute', bottom: 8, left: '50%', transform: 'translateX(-50%)' }}
        >
          {unseen === 1 ? '1 new message' : `${unseen} new messages`} ↓
        </Button>
      )}
    </Box>
  );
}

function EarlierControl({
  log,
  loading,
  error,
  onLoad,
}: {
  log: MessageLog;
  loading: boolean;
  error: unknown;
  onLoad: () => void;
}) {
  if (log.messages.length === 0) return null;
  if (log.complete)
    return (
      <Text size="xs" c="dimmed" ta="center" mb="sm">
        Start of the conversation
      </Text>
    );
  return (
    <Stack align="center" gap={4} mb="sm">
      {error !== undefined && (
        <Text size="xs" c="red">
          Could not load earlier messages: {errorMessage(error)}
        </Text>
      )}
      {loading ? (
        <Loader size="xs" aria-label="Loading earlier messages" />
      ) : (
        <Button size="compact-xs" variant="subtle" onClick={onLoad}>
          Load earlier messages
        </Button>
      )}
    </Stack>
  );
}

/** What a message says, for its label: its text and the name of its file. */
function describeContent(message: RoomMessage): string {
  const file = message.attachment ? `(file ${message.attachment.name})` : '';
  return [message.body, file].filter((part) => part !== '').join(' ');
}

/** Consecutive messages from one sender within five minutes share one heading. */
const GROUP_MS = 5 * 60 * 1000;

function MessageItem({
  message,
  previous,
  attachmentUrl,
}: {
  message: RoomMessage;
  previous: RoomMessage | undefined;
  attachmentUrl: (attachmentId: string) => string;
}) {
  const time = messageDate(message.ts);
  const continued =
    previous !== undefined &&
    previous.sender === message.sender &&
    previous.mine === message.mine &&
    time.getTime() - messageDate(previous.ts).getTime() < GROUP_MS;
  return (
    <Box
      component="li"
      aria-label={`${message.mine ? 'You' : message.handle}: ${describeContent(message)}`}
      data-mine={message.mine ? 'true' : 'false'}
      data-message-id={message.id}
      style={{ display: 'flex', justifyContent: message.mine ? 'flex-end' : 'flex-start' }}
    >
      <Stack gap={2} maw="min(80%, 640px)" align={message.mine ? 'flex-end' : 'flex-start'}>
        {!continued && (
          <Group gap={6} wrap="nowrap">
            <Text size="xs" fw={600} truncate maw={220} data-testid="message-handle">
              {message.handle}
            </Text>
            {message.mine && (
              <Badge size="xs" variant="outline">
                you
              </Badge>
            )}
            <Text size="xs" c="dimmed" component="time" dateTime={time.toISOString()}>
              {formatMessageTime(time)}
            </Text>
          </Group>
        )}
        {(message.body !== '' || !message.attachment) && (
          <Paper
            px="sm"
            py={6}
            radius="md"
            bg={message.mine ? 'var(--mantine-color-blue-light)' : 'var(--mantine-color-default-hover)'}
            title={continued ? `${message.handle}, ${formatMessageTime(time)}` : undefined}
          >
            <Text
              size="sm"
              style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
              data-testid="message-body"
            >
              {message.body}
            </Text>
          </Paper>
        )}
        {message.attachment && (
          <AttachmentLink attachment={message.attachment} href={attachmentUrl(message.attachment.id)} />
        )}
      </Stack>
    </Box>
  );
}
