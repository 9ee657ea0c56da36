// What a gateway message is on the wire and in the browser. Text alone goes as its UTF-8 bytes, as the SDK and
// the CLI send it, so every member reads it; a message with an attachment goes as a small JSON envelope
// marked with its own `t`, so plain text that happens to be JSON is never taken for one.

/** A file sent with a message, as the browser sees it. `id` names the blob and what its encryption is bound to. */
export interface MessageAttachment {
  id: string;
  name: string;
  size: number;
  type: string;
}

/** A message as the browser receives it (scrollback or stream). */
export interface RoomMessage {
  id: string;
  sender: string;
  handle: string;
  body: string;
  ts: number;
  mine: boolean;
  attachment?: MessageAttachment;
}

/** A message opened by the gateway, before it is addressed to a viewer (`mine` is per viewer). */
export interface OpenedMessage {
  id: string;
  sender: string;
  handle: string;
  epoch: number;
  /** When the bus took it (store time, or arrival): the id's own time is whatever its sender chose. */
  ts: number;
  body: string;
  attachment: MessageAttachment | undefined;
}

const ENVELOPE = 'homeport.message/v1';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Attachment ids: `<sha-256 hex>.<epoch>.<ULID>.<sender endpoint id>` (see attachments.ts). */
export const ATTACHMENT_ID = /^[0-9a-f]{64}\.[1-9][0-9]{0,9}\.[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}$/;
/** A media type token (`type/subtype`), informative only: downloads are always served as bytes. */
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/i;

export function encodeMessage(body: string, attachment: MessageAttachment | undefined): Uint8Array {
  const text = attachment === undefined ? body : JSON.stringify({ t: ENVELOPE, body, attachment });
  return new TextEncoder().encode(text);
}

/** The payload as body and attachment; a payload that is not UTF-8 is shown as its size. */
export function decodeMessage(payload: Uint8Array): {
  body: string;
  attachment: MessageAttachment | undefined;
} {
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    // Binary from an SDK client: the browser shows text only.
    return { body: `[${payload.byteLength} bytes of binary data]`, attachment: undefined };
  }
  if (text.startsWith('{"t":"homeport.message/v1"')) {
    const envelope = parseEnvelope(text);
    if (envelope) return envelope;
  }
  return { body: text, attachment: undefined };
}

function parseEnvelope(
  text: string,
): { body: string; attachment: MessageAttachment | undefined } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // not an envelope after all: shown as the text it is
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { body, attachment } = value as { body?: unknown; attachment?: unknown };
  if (typeof body !== 'string') return undefined;
  return { body, attachment: checkAttachment(attachment) };
}

/** An attachment reference from a member's message, or undefined when it is not one the gateway could serve. */
export function checkAttachment(value: unknown): MessageAttachment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, name, size, type } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !ATTACHMENT_ID.test(id)) return undefined;
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  const mediaType = typeof type === 'string' && MEDIA_TYPE.test(type) ? type : 'application/octet-stream';
  return { id, name: safeFileName(name), size, type: mediaType };
}

// Controls, path separators and bidi overrides: a name is shown and offered as a download name, never a path.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f/\\\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A file name safe to show and to offer as a download name (no path, no controls), at most 255 characters. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(UNSAFE_NAME, '_').trim().slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

export function forViewer(message: OpenedMessage, viewerEndpointId: string): RoomMessage {
  return {
    id: message.id,
    sender: message.sender,
    handle: message.handle,
    body: message.body,
    ts: message.ts,
    mine: message.sender === viewerEndpointId,
    ...(message.attachment ? { attachment: message.attachment } : {}),
  };
}
