// /rooms and /rooms/:roomId: the rooms the account is in beside the open one. On a phone they are two
// views: the list at /rooms, the room (with a way back) at /rooms/:roomId.
import { Box, Button, Center, Divider, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useOnReconnect } from '../../api/connection-context';
import { AsyncContent } from '../../components/async-content';
import { PageHeader } from '../../components/page-header';
import { TableSkeleton } from '../../components/table-skeleton';
import { useAsyncData } from '../../hooks/use-async-data';
import { isBusOff } from './api/bus-client';
import { useBusClient } from './api/use-bus-client';
import { CreateRoomModal } from './create-room-modal';
import { RoomList } from './room-list';
import { BusOff } from './room-notices';
import { RoomView } from './room-view';

/**
 * Unread counts of the rooms not open are asked for again this often while the tab is visible (the gateway
 * streams one room at a time), and at once when the tab comes back to the front.
 */
const LIST_REFRESH_MS = 20_000;

export default function RoomsPage() {
  const client = useBusClient();
  const navigate = useNavigate();
  const { roomId } = useParams();
  const [creating, setCreating] = useState(false);
  const me = useAsyncData(useCallback((signal: AbortSignal) => client.gateway.me({ signal }), [client]));
  const rooms = useAsyncData(
    useCallback((signal: AbortSignal) => client.gateway.rooms({ signal }), [client]),
  );
  const reloadRooms = useListRefresh(rooms.reload);

  if (isBusOff(rooms.error) || isBusOff(me.error))
    return (
      <>
        <PageHeader title="Rooms" />
        <BusOff />
      </>
    );

  const roomOpen = roomId !== undefined;
  return (
    <Stack
      gap={0}
      // The page fills the window under the header, so the conversation scrolls and the composer stays put.
      h="calc(100dvh - var(--app-shell-header-height, 56px) - 2 * var(--mantine-spacing-md))"
      style={{ minHeight: 320 }}
    >
      <Box {...(roomOpen ? { visibleFrom: 'sm' } : {})}>
        <PageHeader
          title="Rooms"
          description="End-to-end encrypted conversations with the people and tools on this Homeport."
          actions={<Button onClick={() => setCreating(true)}>New room</Button>}
        />
      </Box>
      <Box style={{ display: 'flex', flex: 1, minHeight: 0, gap: 'var(--mantine-spacing-md)' }}>
        <Box
          w={{ base: '100%', sm: 280 }}
          style={{ flexShrink: 0, overflowY: 'auto' }}
          {...(roomOpen ? { visibleFrom: 'sm' } : {})}
        >
          <AsyncContent
            result={rooms}
            errorTitle="Could not load your rooms"
            skeleton={<TableSkeleton rows={4} />}
          >
            {(list) => <RoomList rooms={list} selectedId={roomId} />}
          </AsyncContent>
        </Box>
        <Divider orientation="vertical" visibleFrom="sm" />
        <Box style={{ flex: 1, minWidth: 0, minHeight: 0 }} {...(roomOpen ? {} : { visibleFrom: 'sm' })}>
          {roomId === undefined ? (
            <Center h="100%">
              <Text c="dimmed" size="sm">
                Choose a room, or create one.
              </Text>
            </Center>
          ) : (
            // Keyed by room: a fresh conversation (scroll position, draft, stream) for each room.
            <RoomView key={roomId} client={client} roomId={roomId} me={me.data} onListChanged={reloadRooms} />
          )}
        </Box>
      </Box>
      <CreateRoomModal
        client={client}
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(room) => {
          setCreating(false);
          rooms.reload();
          navigate(`/rooms/${encodeURIComponent(room.id)}`);
        }}
      />
    </Stack>
  );
}

/**
 * Keeps the room list current: on a timer while the tab is visible, when it comes back to the front, when
 * the server answers again after an outage, and (debounced) when the open room says something changed.
 */
function useListRefresh(reload: () => void): () => void {
  const debounce = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, LIST_REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      clearTimeout(debounce.current);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload]);
  useOnReconnect(reload);
  return useCallback(() => {
    clearTimeout(debounce.current);
    debounce.current = setTimeout(reload, 500);
  }, [reload]);
}
