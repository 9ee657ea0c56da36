// The open room: its name and policy, the conversation, the composer, and the members in a side drawer.
// On a phone it is a view of its own, with a way back to the list.
import { ActionIcon, Badge, Box, Button, Drawer, Group, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../api/api-error';
import { ErrorState } from '../../components/error-state';
import { FullPageLoader } from '../../components/full-page-loader';
import { useAsyncData } from '../../hooks/use-async-data';
import type { BusClient } from './api/bus-client';
import type { GatewayMe, GatewayRoomDetail } from './api/bus-types';
import { Composer } from './composer';
import { MembersPanel } from './members-panel';
import { MessageList } from './message-list';
import { newestId } from './message-log';
import { BusOff, RoomClosed, StreamLost, WaitingForKey } from './room-notices';
import { type Conversation, phaseOfRefusal, useConversation } from './use-conversation';

export interface RoomViewProps {
  client: BusClient;
  roomId: string;
  me: GatewayMe | undefined;
  /** Something changed that the room list shows (a message, a read marker, membership). */
  onListChanged: () => void;
}

export function RoomView({ client, roomId, me, onListChanged }: RoomViewProps) {
  const detail = useAsyncData(
    useCallback((signal: AbortSignal) => client.gateway.room(roomId, { signal }), [client, roomId]),
  );
  const conversation = useConversation(client, roomId);
  useReadMarker(client, roomId, conversation, onListChanged);

  // The room's details (members) are old news after a reconnect.
  const reloadDetail = detail.reload;
  const lastStream = useRef(conversation.stream);
  useEffect(() => {
    if (lastStream.current === 'lost' && conversation.stream === 'open') reloadDetail();
    lastStream.current = conversation.stream;
  }, [conversation.stream, reloadDetail]);

  const { phase } = conversation;
  // Refused from the start (either call): a room we are not in shows nothing of itself, not even its name.
  const detailPhase =
    detail.error !== undefined && detail.data === undefined ? phaseOfRefusal(detail.error, false) : undefined;
  if (phase === 'bus_off' || detailPhase === 'bus_off') return <BusOff />;
  if (phase === 'revoked' || detailPhase === 'revoked') return <RoomClosed kind="revoked" />;
  if (phase === 'not_member' || detailPhase === 'not_member') return <RoomClosed kind="not_member" />;
  if (phase === 'removed' || phase === 'gone') return <RoomClosed kind={phase} />;
  if (phase === 'failed' || (detail.error !== undefined && detail.data === undefined && !detail.loading))
    return (
      <ErrorState
        title="Could not open this room"
        error={conversation.error ?? detail.error}
        onRetry={() => {
          conversation.retry();
          detail.reload();
        }}
      />
    );
  if (phase === 'loading' || detail.data === undefined) return <FullPageLoader label="Opening the room" />;

  return (
    <OpenRoom
      room={detail.data}
      conversation={conversation}
      client={client}
      me={me}
      onMembersChanged={() => {
        detail.reload();
        onListChanged();
      }}
    />
  );
}

function OpenRoom({
  room,
  conversation,
  client,
  me,
  onMembersChanged,
}: {
  room: GatewayRoomDetail;
  conversation: Conversation;
  client: BusClient;
  me: GatewayMe | undefined;
  onMembersChanged: () => void;
}) {
  const [membersOpen, setMembersOpen] = useState(false);
  const waiting = conversation.keyState === 'waiting_for_key';
  return (
    <Stack gap="xs" h="100%" style={{ minHeight: 0 }}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
          <ActionIcon
            component={Link}
            to="/rooms"
            variant="subtle"
            hiddenFrom="sm"
            aria-label="Back to rooms"
            size="lg"
          >
            <span aria-hidden>←</span>
          </ActionIcon>
          <Box style={{ minWidth: 0 }}>
            <Title order={2} size="h4" lineClamp={1}>
              {room.name}
            </Title>
            <PolicyLine room={room} />
          </Box>
        </Group>
        <Button variant="default" size="xs" onClick={() => setMembersOpen(true)} style={{ flexShrink: 0 }}>
          Members ({room.members.length})
        </Button>
      </Group>
      {conversation.stream === 'lost' && <StreamLost />}
      {waiting && <WaitingForKey />}
      <MessageList
        log={conversation.log}
        loadingEarlier={conversation.loadingEarlier}
        earlierError={conversation.earlierError}
        onLoadEarlier={conversation.loadEarlier}
        emptyText={
          waiting ? 'Messages appear here once the key has reached you.' : 'No messages yet. Say hello.'
        }
        attachmentUrl={(attachmentId) => client.attachmentUrl(room.id, attachmentId)}
      />
      <Composer
        roomName={room.name}
        onSend={conversation.send}
        onUpload={conversation.upload}
        onTheirWay={conversation.pending.length}
        disabledReason={waiting ? 'Waiting for the room key…' : undefined}
      />
      <Drawer
        opened={membersOpen}
        onClose={() => setMembersOpen(false)}
        position="right"
        title={`Members of ${room.name}`}
        size="sm"
      >
        <MembersPanel client={client} room={room} mySignPub={me?.signPub} onChanged={onMembersChanged} />
      </Drawer>
    </Stack>
  );
}

function PolicyLine({ room }: { room: GatewayRoomDetail }) {
  const { encrypted, persisted, signed } = room.policy;
  return (
    <Group gap={4} wrap="wrap">
      <Tooltip
        label={
          encrypted
            ? 'Messages are encrypted with the room key before they reach NATS.'
            : 'Messages travel in clear text over the bus.'
        }
        withArrow
      >
        <Badge size="xs" variant="light" color={encrypted ? 'teal' : 'orange'}>
          {encrypted ? 'encrypted' : 'not encrypted'}
        </Badge>
      </Tooltip>
      <Tooltip
        label={
          persisted
            ? 'The server keeps the history.'
            : 'Nothing is kept: only who is online receives a message.'
        }
        withArrow
      >
        <Badge size="xs" variant="light" color="gray">
          {persisted ? 'history kept' : 'no history'}
        </Badge>
      </Tooltip>
      {signed && (
        <Tooltip label="Every message carries its sender’s signature." withArrow>
          <Badge size="xs" variant="light" color="gray">
            signed
          </Badge>
        </Tooltip>
      )}
      <Text size="xs" c="dimmed" visibleFrom="sm">
        key {room.epoch}
      </Text>
    </Group>
  );
}

/**
 * Tells the server how far this account has read, while the tab is visible: after the first page and
 * each new message (briefly debounced), and when the tab comes back to the front.
 */
function useReadMarker(client: BusClient, roomId: string, conversation: Conversation, onRead: () => void) {
  const newest = conversation.phase === 'ready' ? newestId(conversation.log) : undefined;
  const sent = useRef<string | undefined>(undefined);
  const onReadRef = useRef(onRead);
  onReadRef.current = onRead;

  useEffect(() => {
    if (newest === undefined) return;
    const mark = () => {
      if (document.visibilityState !== 'visible' || sent.current === `${roomId}/${newest}`) return;
      sent.current = `${roomId}/${newest}`;
      client.gateway.markRead(roomId, newest).then(
        () => onReadRef.current(),
        (error: unknown) => {
          sent.current = undefined;
          // A read marker that did not land is retried with the next message; not worth a toast.
          if (!(error instanceof ApiError && error.status === 0))
            console.error('Could not mark the room read', error);
        },
      );
    };
    const timer = setTimeout(mark, 300);
    document.addEventListener('visibilitychange', mark);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', mark);
    };
  }, [client, roomId, newest]);
}
