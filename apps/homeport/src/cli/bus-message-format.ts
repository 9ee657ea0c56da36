// How a received message is shown: one line (time, handle, text) or one JSON object. Text from the room is
// written to a terminal, so its control characters are escaped: a member must not be able to move the cursor,
// rewrite earlier lines, retitle the window or reorder text with bidi overrides on another member's screen.

import type { BusMessage } from '@homeport/bus/client';
import { ulidTime } from '@homeport/bus/crypto';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// C0 and C1 controls, DEL, and the bidi embedding, override and isolate characters ("Trojan Source").
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every character that could drive a terminal written as a visible escape (`\n`, `\x1b`, `\u202e`). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (character) => {
    if (character === '\n') return '\\n';
    if (character === '\t') return '\\t';
    const code = character.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** The payload as text, or undefined when it is not UTF-8 (then it is shown as base64). */
export function payloadText(payload: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(payload);
  } catch {
    // Binary payload: the caller shows it another way.
    return undefined;
  }
}

/** Who sent it: the handle on the allowlist, else the start of the endpoint id. */
export function senderName(message: Pick<BusMessage, 'handle' | 'sender'>): string {
  return terminalSafe(message.handle !== '' ? message.handle : message.sender.slice(0, 12));
}

/** When it was sent, from its frame id (a ULID carries its send time in milliseconds). */
export function sentAt(message: Pick<BusMessage, 'id'>): Date {
  return new Date(ulidTime(message.id));
}

function shownText(payload: Uint8Array): string {
  const text = payloadText(payload);
  return text === undefined
    ? `[${payload.byteLength} bytes, base64 ${Buffer.from(payload).toString('base64')}]`
    : terminalSafe(text);
}

/** `2025-12-01T09:30:00.123Z alice: text` — one line, whatever the payload holds. */
export function messageLine(message: BusMessage): string {
  return `${sentAt(message).toISOString()} ${senderName(message)}: ${shownText(message.payload)}`;
}

/** `09:30:00 alice: text` in local time, for the chat screen. */
export function chatLine(message: BusMessage): string {
  const time = sentAt(message).toTimeString().slice(0, 8);
  return `${time} ${senderName(message)}: ${shownText(message.payload)}`;
}

/** The message as one JSON object per line (`text`, or `base64` for a payload that is not UTF-8). */
export function messageJson(message: BusMessage): string {
  const text = payloadText(message.payload);
  return JSON.stringify({
    id: message.id,
    time: sentAt(message).toISOString(),
    handle: message.handle,
    sender: message.sender,
    signPub: message.senderSignPub,
    epoch: message.epoch,
    ...(text === undefined ? { base64: Buffer.from(message.payload).toString('base64') } : { text }),
  });
}
