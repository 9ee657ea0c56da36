// Create room: the form's defaults and checks, in the server's own terms (name 1–100 characters without
// control characters; policy switches; history visibility).
import type { CreateRoomInput, HistoryVisibility, RoomPolicy } from './api/bus-types';

export interface CreateRoomForm {
  name: string;
  policy: RoomPolicy;
  history: HistoryVisibility;
}

/** Everything on: private, kept, and attributable; new members read what came before. */
export const DEFAULT_ROOM_FORM: CreateRoomForm = {
  name: '',
  policy: { encrypted: true, persisted: true, signed: true },
  history: 'shared',
};

export const MAX_ROOM_NAME = 100;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What is wrong with the name, or undefined. */
export function validateRoomName(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the room a name';
  if (trimmed.length > MAX_ROOM_NAME) return `At most ${MAX_ROOM_NAME} characters`;
  if (CONTROL.test(trimmed)) return 'No line breaks or control characters';
  return undefined;
}

export function createRoomInput(form: CreateRoomForm): CreateRoomInput {
  return { name: form.name.trim(), policy: { ...form.policy }, history: form.history };
}

export const POLICY_CHOICES: readonly { key: keyof RoomPolicy; label: string; description: string }[] = [
  {
    key: 'encrypted',
    label: 'Encrypted',
    description:
      'Messages are sealed with the room key before they go on the bus: NATS and the stored history hold only ciphertext. On this page Homeport’s gateway holds your key and seals for you; devices with an identity of their own do it themselves.',
  },
  {
    key: 'persisted',
    label: 'Keep history',
    description:
      'The server keeps the (encrypted) messages, so members can scroll back and read what was sent while they were away. Off: only who is connected receives a message.',
  },
  {
    key: 'signed',
    label: 'Signed',
    description: 'Every message carries its sender’s signature; messages that fail the check are dropped.',
  },
];

export const HISTORY_CHOICES: readonly { value: HistoryVisibility; label: string; description: string }[] = [
  {
    value: 'shared',
    label: 'Everything',
    description: 'Someone you invite later can read the room from its start.',
  },
  {
    value: 'joined',
    label: 'From when they join',
    description: 'Someone you invite later sees only what is sent after they joined.',
  },
];
