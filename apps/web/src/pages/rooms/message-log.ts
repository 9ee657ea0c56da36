// The messages of the open room, oldest first: pages of scrollback and live messages merged without
// duplicates (a message can come both ways: in a page and on the stream, or twice on a resumed stream).
import type { RoomMessage } from './api/bus-types';

export interface MessageLog {
  readonly messages: readonly RoomMessage[];
  /** No earlier page to load: the room's first message (or the first one we may read) is on screen. */
  readonly complete: boolean;
}

export const EMPTY_LOG: MessageLog = { messages: [], complete: false };

const idsOf = (messages: readonly RoomMessage[]) => new Set(messages.map((message) => message.id));

/**
 * The newest page of scrollback, followed by what the stream brought meanwhile that is not in it.
 *
 * @example withLatestPage(EMPTY_LOG, await client.messages(roomId, { limit: 50 }), 50)
 */
export function withLatestPage(log: MessageLog, page: readonly RoomMessage[], pageSize: number): MessageLog {
  const inPage = idsOf(page);
  return {
    messages: [...dedupe(page), ...log.messages.filter((message) => !inPage.has(message.id))],
    complete: page.length < pageSize,
  };
}

/** An earlier page (scrolled up), put in front of what is there. */
export function withEarlierPage(log: MessageLog, page: readonly RoomMessage[], pageSize: number): MessageLog {
  const present = idsOf(log.messages);
  return {
    messages: [...dedupe(page).filter((message) => !present.has(message.id)), ...log.messages],
    complete: page.length < pageSize,
  };
}

/** A live message, at the end; the same log when it is there already. */
export function withMessage(log: MessageLog, message: RoomMessage): MessageLog {
  if (log.messages.some((existing) => existing.id === message.id)) return log;
  return { ...log, messages: [...log.messages, message] };
}

export const oldestId = (log: MessageLog): string | undefined => log.messages[0]?.id;
export const newestId = (log: MessageLog): string | undefined => log.messages.at(-1)?.id;

function dedupe(page: readonly RoomMessage[]): RoomMessage[] {
  const seen = new Set<string>();
  return page.filter((message) => {
    if (seen.has(message.id)) return false;
    seen.add(message.id);
    return true;
  });
}
