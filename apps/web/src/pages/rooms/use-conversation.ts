// The open room's conversation: the newest page of scrollback, then the live stream resuming right after it,
// earlier pages on demand, sending, and what the server says about our place in the room.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { ApiError } from '../../api/api-error';
import { useConnectionMonitor } from '../../api/connection-context';
import { useAuth } from '../../auth/auth-context';
import type { BusClient, UploadOptions } from './api/bus-client';
import { isBusOff } from './api/bus-client';
import type { MessageAttachment, RoomMessage, RoomStreamState, SendMessageInput } from './api/bus-types';
import { openRoomStream, type RoomStream } from './api/room-stream';
import { parseStreamEvent } from './api/stream-events';
import {
  EMPTY_LOG,
  type MessageLog,
  oldestId,
  withEarlierPage,
  withLatestPage,
  withMessage,
} from './message-log';

export const PAGE_SIZE = 50;

/**
 * Where we stand in the room: `not_member` when the server refused it from the start (a room we are not
 * in, or one that does not exist: the server answers both alike), `removed` when it stopped letting us in
 * while we were reading, `gone` for a room deleted meanwhile, `revoked` when the account's own bus identity
 * (the one the gateway uses) was revoked, `bus_off` when the server runs no bus.
 */
export type ConversationPhase =
  | 'loading'
  | 'ready'
  | 'not_member'
  | 'removed'
  | 'gone'
  | 'revoked'
  | 'bus_off'
  | 'failed';

export type StreamStatus = 'connecting' | 'open' | 'lost';

export interface ConversationState {
  phase: ConversationPhase;
  /** Why the first load failed (phase `failed`). */
  error: unknown;
  keyState: Exclude<RoomStreamState, 'removed'>;
  log: MessageLog;
  stream: StreamStatus;
  loadingEarlier: boolean;
  earlierError: unknown;
  /** Ids of messages the gateway took whose echo has not arrived yet. */
  pending: readonly string[];
}

type Action =
  | { type: 'reset' }
  | { type: 'latest'; page: RoomMessage[] }
  | { type: 'failed'; error: unknown }
  | { type: 'refused'; error: ApiError }
  | { type: 'stream'; status: StreamStatus }
  | { type: 'message'; message: RoomMessage }
  | { type: 'state'; state: RoomStreamState }
  | { type: 'earlier-start' }
  | { type: 'earlier'; page: RoomMessage[] }
  | { type: 'earlier-failed'; error: unknown }
  | { type: 'sent'; id: string };

const INITIAL: ConversationState = {
  phase: 'loading',
  error: undefined,
  keyState: 'ok',
  log: EMPTY_LOG,
  stream: 'connecting',
  loadingEarlier: false,
  earlierError: undefined,
  pending: [],
};

/** What a refusal means at the first load, and later (we were in, so a 403 now is a removal). */
export function phaseOfRefusal(error: unknown, wasIn: boolean): ConversationPhase {
  if (isBusOff(error)) return 'bus_off';
  if (!(error instanceof ApiError)) return 'failed';
  if (error.code === 'gateway_identity_revoked') return 'revoked';
  if (error.status === 403) return wasIn ? 'removed' : 'not_member';
  if (error.status === 404) return wasIn ? 'gone' : 'not_member';
  return 'failed';
}

function reduce(state: ConversationState, action: Action): ConversationState {
  switch (action.type) {
    case 'reset':
      return INITIAL;
    case 'latest':
      return { ...state, phase: 'ready', log: withLatestPage(state.log, action.page, PAGE_SIZE) };
    case 'failed':
      return { ...state, phase: phaseOfRefusal(action.error, false), error: action.error };
    case 'refused': {
      const phase = phaseOfRefusal(action.error, true);
      return { ...state, phase: phase === 'failed' ? state.phase : phase, stream: 'lost' };
    }
    case 'stream':
      return { ...state, stream: action.status };
    case 'message':
      return {
        ...state,
        log: withMessage(state.log, action.message),
        pending: state.pending.filter((id) => id !== action.message.id),
      };
    case 'state':
      if (action.state === 'removed') return { ...state, phase: 'removed' };
      return { ...state, keyState: action.state };
    case 'earlier-start':
      return { ...state, loadingEarlier: true, earlierError: undefined };
    case 'earlier':
      return { ...state, loadingEarlier: false, log: withEarlierPage(state.log, action.page, PAGE_SIZE) };
    case 'earlier-failed':
      return { ...state, loadingEarlier: false, earlierError: action.error };
    case 'sent':
      // The echo may have come before the answer to the POST.
      return state.log.messages.some((message) => message.id === action.id)
        ? state
        : { ...state, pending: [...state.pending, action.id] };
  }
}

export interface Conversation extends ConversationState {
  loadEarlier(): void;
  /** Rejects with the server's reason; the caller keeps the draft. */
  send(input: SendMessageInput): Promise<void>;
  /** Uploads a file to send with the next message; rejects with the server's reason. */
  upload(file: File, options?: UploadOptions): Promise<MessageAttachment>;
  retry(): void;
}

export function useConversation(client: BusClient, roomId: string): Conversation {
  const [state, dispatch] = useReducer(reduce, INITIAL);
  const [generation, retry] = useReducer((n: number) => n + 1, 0);
  const connection = useConnectionMonitor();
  const { markSignedOut } = useAuth();
  const streamRef = useRef<RoomStream>(undefined);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the retry trigger itself
  useEffect(() => {
    const controller = new AbortController();
    dispatch({ type: 'reset' });
    client.gateway.messages(roomId, { limit: PAGE_SIZE }, { signal: controller.signal }).then(
      (page) => {
        if (controller.signal.aborted) return;
        dispatch({ type: 'latest', page });
        streamRef.current = openRoomStream({
          url: client.streamUrl(roomId),
          // Resume right after the page: nothing sent between the two can fall in a gap.
          lastEventId: page.at(-1)?.id,
          connection,
          onOpen: () => dispatch({ type: 'stream', status: 'open' }),
          onLost: () => dispatch({ type: 'stream', status: 'lost' }),
          onRefused: (error) => {
            if (error.status === 401 && error.code !== 'bus_unauthorized') markSignedOut('expired');
            dispatch({ type: 'refused', error });
          },
          onEvent: (event) => {
            const parsed = parseStreamEvent(event);
            if (parsed?.kind === 'message') dispatch({ type: 'message', message: parsed.message });
            else if (parsed?.kind === 'state') dispatch({ type: 'state', state: parsed.state });
          },
        });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) dispatch({ type: 'failed', error });
      },
    );
    return () => {
      controller.abort();
      streamRef.current?.close();
      streamRef.current = undefined;
    };
  }, [client, roomId, connection, markSignedOut, generation]);

  // Removed (told on the stream), the room deleted or the identity revoked: nothing more will come, so stop
  // reconnecting.
  useEffect(() => {
    if (state.phase === 'removed' || state.phase === 'gone' || state.phase === 'revoked')
      streamRef.current?.close();
  }, [state.phase]);

  const loadingEarlier = useRef(false);
  const { log } = state;
  const loadEarlier = useCallback(() => {
    const before = oldestId(log);
    if (loadingEarlier.current || log.complete || before === undefined) return;
    loadingEarlier.current = true;
    dispatch({ type: 'earlier-start' });
    client.gateway.messages(roomId, { before, limit: PAGE_SIZE }).then(
      (page) => dispatch({ type: 'earlier', page }),
      (error: unknown) => dispatch({ type: 'earlier-failed', error }),
    );
    // Cleared when the state says so (below), so two scroll events cannot ask for the same page.
  }, [client, roomId, log]);
  useEffect(() => {
    if (!state.loadingEarlier) loadingEarlier.current = false;
  }, [state.loadingEarlier]);

  /** A refusal of something we asked of the room, told to the state as the stream would tell it. */
  const noteRefusal = useCallback((error: unknown) => {
    if (!(error instanceof ApiError) || isBusOff(error)) return;
    // Removed meanwhile (the room answers us as a stranger now), or deleted.
    if (error.status === 403 || error.status === 404) dispatch({ type: 'refused', error });
    // The room moved to a key the gateway does not hold for us yet.
    else if (error.code === 'gateway_waiting_for_key') dispatch({ type: 'state', state: 'waiting_for_key' });
  }, []);

  const send = useCallback(
    async (input: SendMessageInput) => {
      try {
        const { id } = await client.gateway.send(roomId, input);
        dispatch({ type: 'sent', id });
      } catch (error) {
        noteRefusal(error);
        throw error;
      }
    },
    [client, roomId, noteRefusal],
  );

  const upload = useCallback(
    async (file: File, options?: UploadOptions) => {
      try {
        return await client.gateway.uploadAttachment(roomId, file, options);
      } catch (error) {
        noteRefusal(error);
        throw error;
      }
    },
    [client, roomId, noteRefusal],
  );

  return { ...state, loadEarlier, send, upload, retry };
}
