// The room stream's events, checked before use: `message` (a message, the sender's own echo included) and
// `state` (the account is waiting for the room key, was removed, or all is well again).
import type { MessageAttachment, RoomMessage, RoomStreamState } from './bus-types';
import type { SseEvent } from './sse-parser';

export type RoomStreamEvent =
  | { kind: 'message'; message: RoomMessage }
  | { kind: 'state'; state: RoomStreamState };

const STATES: readonly string[] = ['waiting_for_key', 'removed', 'ok'] satisfies RoomStreamState[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** A message as the API sends it (scrollback or stream), or undefined when it is not that shape. */
export function parseRoomMessage(value: unknown): RoomMessage | undefined {
  if (!isRecord(value)) return undefined;
  const { id, sender, handle, body, ts, mine } = value;
  if (typeof id !== 'string' || id === '') return undefined;
  if (typeof sender !== 'string' || typeof handle !== 'string' || typeof body !== 'string') return undefined;
  if (typeof ts !== 'number' && typeof ts !== 'string') return undefined;
  const message: RoomMessage = { id, sender, handle, body, ts, mine: mine === true };
  if (value.attachment === undefined || value.attachment === null) return message;
  const attachment = parseAttachment(value.attachment);
  // A message whose attachment cannot be offered is not a message to show as if it had none.
  return attachment ? { ...message, attachment } : undefined;
}

function parseAttachment(value: unknown): MessageAttachment | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, size, type } = value;
  if (typeof id !== 'string' || id === '' || typeof name !== 'string') return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { id, name, size, type: typeof type === 'string' ? type : 'application/octet-stream' };
}

/** One SSE event of the room stream; undefined (logged) for what the page does not know. */
export function parseStreamEvent(event: SseEvent): RoomStreamEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch (error) {
    console.error('Ignoring a room stream event that is not JSON', error);
    return undefined;
  }
  if (event.type === 'message') {
    const message = parseRoomMessage(value);
    if (message) return { kind: 'message', message };
  } else if (event.type === 'state') {
    if (isRecord(value) && typeof value.state === 'string' && STATES.includes(value.state))
      // cast: checked against STATES just above
      return { kind: 'state', state: value.state as RoomStreamState };
  } else {
    // Types added later (typing, presence…) are not errors.
    return undefined;
  }
  console.error(`Ignoring a room stream "${event.type}" event with an unexpected shape`, value);
  return undefined;
}
