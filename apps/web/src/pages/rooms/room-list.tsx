// The rooms the account is in, most recently active first, each with its unread count and last activity.
import { Badge, Group, NavLink, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { EmptyList } from '../../components/empty-list';
import { formatRelative } from '../../lib/format';
import type { GatewayRoom } from './api/bus-types';

export interface RoomListProps {
  rooms: readonly GatewayRoom[];
  selectedId: string | undefined;
}

export function RoomList({ rooms, selectedId }: RoomListProps) {
  if (rooms.length === 0)
    return (
      <EmptyList
        title="No rooms yet"
        description="Create one with New room, or ask someone to invite you to theirs."
      />
    );
  return (
    <Stack gap={2} component="nav" aria-label="Your rooms">
      {[...rooms].sort(byActivity).map((room) => {
        const active = room.id === selectedId;
        const unread = active ? 0 : room.unread;
        return (
          <NavLink
            key={room.id}
            component={Link}
            to={`/rooms/${encodeURIComponent(room.id)}`}
            active={active}
            aria-current={active ? 'page' : undefined}
            // The accessible name is the room's name alone; the count and time are read from the description.
            aria-label={room.name}
            label={
              <Group gap="xs" wrap="nowrap" justify="space-between">
                <Text size="sm" fw={unread > 0 ? 700 : 500} truncate>
                  {room.name}
                </Text>
                {unread > 0 && (
                  // The gateway counts up to 99 and stops: 99 means "99 or more".
                  <Badge
                    size="sm"
                    circle={unread < 10}
                    aria-label={unread >= 99 ? '99 or more unread' : `${unread} unread`}
                    data-testid="unread"
                  >
                    {unread >= 99 ? '99+' : unread}
                  </Badge>
                )}
              </Group>
            }
            description={
              <Text size="xs" c="dimmed" component="span">
                {room.lastMessageAt ? `Active ${formatRelative(room.lastMessageAt)}` : 'No messages yet'}
                {room.policy.encrypted ? '' : ' · not encrypted'}
              </Text>
            }
          />
        );
      })}
    </Stack>
  );
}

function byActivity(a: GatewayRoom, b: GatewayRoom): number {
  // A room nobody wrote in yet counts from when it was made (new rooms show near the top).
  const at = (room: GatewayRoom) => Date.parse(room.lastMessageAt ?? room.createdAt ?? '') || 0;
  return at(b) - at(a) || a.name.localeCompare(b.name);
}
