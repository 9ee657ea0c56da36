// Who is in the room, and for its owner: invite a Homeport account by username, remove a member (after
// an "are you sure?", since it starts a new room key the removed member never gets).
import { Alert, Badge, Button, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { useConfirm } from '../../components/use-confirm';
import { notifyFailure, notifySuccess } from '../../lib/notify';
import type { BusClient } from './api/bus-client';
import type { GatewayRoomDetail, RoomMember } from './api/bus-types';

export interface MembersPanelProps {
  client: BusClient;
  room: GatewayRoomDetail;
  /** My own signing key, to mark me in the list. */
  mySignPub: string | undefined;
  onChanged: () => void;
}

export function MembersPanel({ client, room, mySignPub, onChanged }: MembersPanelProps) {
  const isOwner = room.myRole === 'owner';
  const members = [...room.members].sort(byRoleThenHandle);

  const remove = useConfirm<RoomMember>({
    title: (member) => `Remove ${member.handle} from ${room.name}?`,
    confirmLabel: () => 'Remove',
    body: (member) => (
      <Text size="sm">
        {member.handle} stops receiving this room’s messages at once, and the room moves to a new key that{' '}
        {member.handle} does not get. What they have already read stays with them.
      </Text>
    ),
    onConfirm: async (member) => {
      try {
        await client.gateway.removeMember(room.id, member.signPub);
        notifySuccess(`${member.handle} was removed from ${room.name}`);
        onChanged();
      } catch (error) {
        notifyFailure(`Could not remove ${member.handle}`, error);
        throw error;
      }
    },
  });

  return (
    <Stack gap="lg">
      {isOwner ? (
        <InviteForm client={client} room={room} onInvited={onChanged} />
      ) : (
        <Text size="sm" c="dimmed">
          Only the room’s owner can invite or remove people.
        </Text>
      )}
      <Stack gap="xs" component="section" aria-labelledby="room-members-title">
        <Title order={3} size="h5" id="room-members-title">
          {members.length === 1 ? '1 member' : `${members.length} members`}
        </Title>
        <Stack gap={6} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
          {members.map((member) => {
            const me = member.signPub === mySignPub;
            return (
              <Group
                key={member.signPub}
                component="li"
                justify="space-between"
                wrap="nowrap"
                gap="xs"
                aria-label={`Member ${member.handle}`}
              >
                <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
                  <Text size="sm" fw={500} truncate>
                    {member.handle}
                  </Text>
                  {me && (
                    <Badge size="xs" variant="outline">
                      you
                    </Badge>
                  )}
                  {member.role === 'owner' && (
                    <Badge size="xs" variant="light">
                      owner
                    </Badge>
                  )}
                  {member.status !== 'active' && (
                    <Badge size="xs" color="gray" variant="light">
                      {member.status}
                    </Badge>
                  )}
                </Group>
                {isOwner && !me && (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color="red"
                    onClick={() => remove.ask(member)}
                    aria-label={`Remove ${member.handle}`}
                  >
                    Remove
                  </Button>
                )}
              </Group>
            );
          })}
        </Stack>
      </Stack>
      {remove.dialog}
    </Stack>
  );
}

function InviteForm({
  client,
  room,
  onInvited,
}: {
  client: BusClient;
  room: GatewayRoomDetail;
  onInvited: () => void;
}) {
  const [username, setUsername] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = username.trim();
    if (name === '') return setError(new Error('Enter the username of a Homeport account.'));
    setPending(true);
    setError(undefined);
    try {
      await client.gateway.invite(room.id, name);
      notifySuccess(`${name} was invited to ${room.name}`);
      setUsername('');
      onInvited();
    } catch (reason) {
      setError(reason);
    } finally {
      setPending(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Invite someone">
      <Stack gap="xs">
        <Group gap="xs" align="flex-start" wrap="nowrap">
          <TextInput
            style={{ flex: 1 }}
            label="Invite by username"
            description="Someone with an account on this Homeport."
            value={username}
            onChange={(event) => setUsername(event.currentTarget.value)}
            disabled={pending}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
          />
        </Group>
        {error !== undefined && (
          <Alert color="red" variant="light" py={6} role="alert">
            <Text size="sm">{errorMessage(error)}</Text>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" size="xs" loading={pending}>
            Invite
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function byRoleThenHandle(a: RoomMember, b: RoomMember): number {
  if (a.role !== b.role) return a.role === 'owner' ? -1 : b.role === 'owner' ? 1 : 0;
  return a.handle.localeCompare(b.handle);
}
