// What the Rooms page says instead of (or above) a conversation: not a member, removed, room gone, the bus off
// on this server, waiting for the room key, and the room's live stream lost.
import { Alert, Button, Center, EmptyState, Loader, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';

/** Full-pane messages: nothing of the room is shown with them. */
export function RoomClosed({ kind }: { kind: 'not_member' | 'removed' | 'gone' | 'revoked' }) {
  const copy = {
    not_member: {
      title: 'You are not a member of this room',
      text: 'Only its members can see a room and its messages. Ask its owner to invite you.',
    },
    removed: {
      title: 'You were removed from this room',
      text: 'You no longer receive its messages, and new ones use a key you do not have. Ask its owner if this was a mistake.',
    },
    gone: {
      title: 'This room no longer exists',
      text: 'Its owner or an admin deleted it, with its history.',
    },
    revoked: {
      title: 'Your bus identity was revoked',
      text: 'The identity this web UI uses for your rooms was revoked, so no room can be read or written here. An admin can tell you more (Settings → Bus).',
    },
  }[kind];
  return (
    <Center h="100%" p="md" data-testid={`room-${kind.replace('_', '-')}`}>
      <Stack align="center" gap="md" maw={440}>
        <EmptyState title={copy.title} description={copy.text} />
        <Button component={Link} to="/rooms" variant="default" size="xs">
          Back to your rooms
        </Button>
      </Stack>
    </Center>
  );
}

export function BusOff() {
  return (
    <EmptyState
      mt="xl"
      title="The bus is off on this server"
      description="Rooms need the bus module, which runs when NATS is available (the managed nats-server, Debian package nats-server). An admin can install it and restart Homeport."
      data-testid="bus-off"
    />
  );
}

export function WaitingForKey() {
  return (
    <Alert
      color="yellow"
      variant="light"
      title="Waiting for a key"
      role="status"
      data-testid="waiting-for-key"
    >
      <Text size="sm">
        This room’s current key has not reached you yet: messages cannot be read or sent until a member’s
        device shares it with you. This happens by itself once one of them is online.
      </Text>
    </Alert>
  );
}

/** The room's live stream dropped: shown until it is back (it resumes where it stopped). */
export function StreamLost() {
  return (
    <Alert
      color="yellow"
      variant="light"
      py={6}
      role="status"
      data-testid="room-connection-lost"
      icon={<Loader size={14} color="yellow" />}
    >
      <Text size="sm">
        Connection to the room lost. Reconnecting… Messages sent meanwhile appear when it is back.
      </Text>
    </Alert>
  );
}
