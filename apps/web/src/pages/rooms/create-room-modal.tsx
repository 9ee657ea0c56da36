// New room: a name, the three policy switches (all on by default, each explained), and how much history
// people invited later may read. The policy cannot be changed afterwards, so it is asked for here.
import { Alert, Modal, Radio, Stack, Switch, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { errorMessage } from '../../api/api-error';
import { FormActions } from '../../components/form-actions';
import type { BusClient } from './api/bus-client';
import type { GatewayRoom } from './api/bus-types';
import {
  type CreateRoomForm,
  createRoomInput,
  DEFAULT_ROOM_FORM,
  HISTORY_CHOICES,
  MAX_ROOM_NAME,
  POLICY_CHOICES,
  validateRoomName,
} from './create-room-form';

export interface CreateRoomModalProps {
  client: BusClient;
  opened: boolean;
  onClose: () => void;
  onCreated: (room: GatewayRoom) => void;
}

export function CreateRoomModal({ client, opened, onClose, onCreated }: CreateRoomModalProps) {
  const [form, setForm] = useState<CreateRoomForm>(DEFAULT_ROOM_FORM);
  const [nameError, setNameError] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState(false);

  const close = () => {
    if (pending) return;
    setForm(DEFAULT_ROOM_FORM);
    setNameError(undefined);
    setError(undefined);
    onClose();
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const problem = validateRoomName(form.name);
    setNameError(problem);
    if (problem) return;
    setPending(true);
    setError(undefined);
    try {
      const room = await client.gateway.createRoom(createRoomInput(form));
      setForm(DEFAULT_ROOM_FORM);
      onCreated(room);
    } catch (reason) {
      setError(reason);
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title="New room" centered size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <TextInput
            label="Name"
            value={form.name}
            onChange={(event) => {
              const name = event.currentTarget.value;
              setForm((current) => ({ ...current, name }));
              if (nameError) setNameError(validateRoomName(name));
            }}
            error={nameError}
            maxLength={MAX_ROOM_NAME + 20}
            disabled={pending}
            data-autofocus
          />
          <Stack gap="sm">
            {POLICY_CHOICES.map((choice) => (
              <Switch
                key={choice.key}
                label={choice.label}
                description={choice.description}
                checked={form.policy[choice.key]}
                onChange={(event) => {
                  const checked = event.currentTarget.checked;
                  setForm((current) => ({
                    ...current,
                    policy: { ...current.policy, [choice.key]: checked },
                  }));
                }}
                disabled={pending}
              />
            ))}
          </Stack>
          {!form.policy.encrypted && (
            <Text size="xs" c="orange">
              Anyone who can read the bus can read this room. A server open to the internet refuses such
              rooms.
            </Text>
          )}
          <Radio.Group
            label="What people invited later can read"
            value={form.history}
            onChange={(value) => {
              const choice = HISTORY_CHOICES.find((candidate) => candidate.value === value);
              if (choice) setForm((current) => ({ ...current, history: choice.value }));
            }}
          >
            <Stack gap="xs" mt="xs">
              {HISTORY_CHOICES.map((choice) => (
                <Radio
                  key={choice.value}
                  value={choice.value}
                  label={choice.label}
                  description={choice.description}
                  disabled={pending}
                />
              ))}
            </Stack>
          </Radio.Group>
          <Text size="xs" c="dimmed">
            These settings are fixed once the room exists.
          </Text>
          {error !== undefined && (
            <Alert color="red" variant="light" role="alert" title="Could not create the room">
              <Text size="sm">{errorMessage(error)}</Text>
            </Alert>
          )}
          <FormActions submitLabel="Create room" pending={pending} onCancel={close} />
        </Stack>
      </form>
    </Modal>
  );
}
