// Client for the bus API the Rooms page and Settings → Bus use: the gateway (`/bus/gateway`, rooms and
// messages on the session), the allowlist (admins), the account's own device identities and the status.
// It works like the app's ApiClient (same-origin JSON, ApiError, the connection monitor told what it sees)
// but lives with its pages, because the bus routes are not in the generated API types (see bus-types.ts).
// Attachments go up as raw bytes with their name in a header, through an upload that reports progress.
import { ApiError } from '../../../api/api-error';
import { readError } from '../../../api/client';
import { type ConnectionMonitor, isGatewayFailure } from '../../../api/connection';
import type {
  AddBusUserInput,
  BusStatus,
  BusUser,
  CreateRoomInput,
  GatewayMe,
  GatewayRoom,
  GatewayRoomDetail,
  MessageAttachment,
  RegisterDeviceInput,
  RoomMessage,
  SendMessageInput,
} from './bus-types';
import { parseRoomMessage } from './stream-events';
import { type Upload, uploadWithProgress } from './upload';

export interface BusClientOptions {
  /** @default '/api/v1/bus' */
  baseUrl?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** How attachments go up. @default uploadWithProgress (XMLHttpRequest, for its progress events) */
  upload?: Upload;
  connection?: ConnectionMonitor | null;
  /** A call got 401 for want of a session (it expired, or was ended elsewhere). */
  onSessionEnded?: () => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface MessagesQuery {
  /** Messages older than this id. */
  before?: string;
  /** @default 50 */
  limit?: number;
}

export interface UploadOptions extends RequestOptions {
  onProgress?: (sent: number, total: number) => void;
}

/** The gateway's cap on one attachment (it refuses a larger body before reading it). */
export const MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024 - 28;

export interface BusClient {
  /** Where the room's live stream is (Server-Sent Events). */
  streamUrl(roomId: string): string;
  /** Where an attachment of the room downloads from (served as bytes, as an attachment). */
  attachmentUrl(roomId: string, attachmentId: string): string;
  gateway: {
    me(options?: RequestOptions): Promise<GatewayMe>;
    rooms(options?: RequestOptions): Promise<GatewayRoom[]>;
    createRoom(input: CreateRoomInput): Promise<GatewayRoom>;
    /** 403 for a room the account is not in (the same answer as for one that does not exist). */
    room(roomId: string, options?: RequestOptions): Promise<GatewayRoomDetail>;
    invite(roomId: string, username: string): Promise<void>;
    removeMember(roomId: string, signPub: string): Promise<void>;
    /** Scrollback, oldest first. */
    messages(roomId: string, query?: MessagesQuery, options?: RequestOptions): Promise<RoomMessage[]>;
    /** Resolves once the gateway took the message; it shows up when its echo arrives on the stream. */
    send(roomId: string, input: SendMessageInput): Promise<{ id: string }>;
    /** Uploads a file to the room (encrypted there with the room key); send a message naming it next. */
    uploadAttachment(roomId: string, file: File, options?: UploadOptions): Promise<MessageAttachment>;
    markRead(roomId: string, upTo: string): Promise<void>;
  };
  /** The allowlist; a Homeport admin's session. */
  users: {
    list(options?: RequestOptions): Promise<BusUser[]>;
    add(input: AddBusUserInput): Promise<BusUser>;
    revoke(signPub: string): Promise<BusUser>;
  };
  /** The signed-in account's own device identities. */
  devices: {
    list(options?: RequestOptions): Promise<BusUser[]>;
    register(input: RegisterDeviceInput): Promise<BusUser>;
    revoke(signPub: string): Promise<BusUser>;
  };
  status(options?: RequestOptions): Promise<BusStatus>;
}

interface CallOptions extends RequestOptions {
  body?: unknown;
}

export function createBusClient(options: BusClientOptions = {}): BusClient {
  const baseUrl = options.baseUrl ?? '/api/v1/bus';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const upload = options.upload ?? uploadWithProgress;
  const connection = options.connection ?? undefined;

  function call<T>(method: string, path: string, callOptions: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (callOptions.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(callOptions.body);
    }
    if (callOptions.signal) init.signal = callOptions.signal;
    return answer(() => doFetch(`${baseUrl}${path}`, init));
  }

  /** The JSON answer of a request, or the ApiError it failed with (the connection monitor told either way). */
  async function answer<T>(send: () => Promise<Response>): Promise<T> {
    let response: Response;
    try {
      response = await send();
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      connection?.reportUnreachable();
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: 'Could not reach the Homeport server. Check your connection and try again.',
        cause,
      });
    }
    if (!response.ok) {
      const error = await readError(response);
      if (isGatewayFailure(error.status) && error.code.startsWith('http_')) connection?.reportUnreachable();
      else connection?.reportReachable();
      if (isSessionEnded(error)) options.onSessionEnded?.();
      throw error;
    }
    connection?.reportReachable();
    // cast: callers of 202/204 routes without a body ask for void.
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    // cast: the bus API is this project's own, its contract written down in bus-types.ts.
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  const room = (roomId: string) => `/gateway/rooms/${encodeURIComponent(roomId)}`;
  const key = (signPub: string) => encodeURIComponent(signPub);

  return {
    streamUrl: (roomId) => `${baseUrl}${room(roomId)}/stream`,
    attachmentUrl: (roomId, attachmentId) =>
      `${baseUrl}${room(roomId)}/attachments/${encodeURIComponent(attachmentId)}`,
    gateway: {
      me: (o) => call('GET', '/gateway/me', o),
      rooms: (o) => call('GET', '/gateway/rooms', o),
      createRoom: (body) => call('POST', '/gateway/rooms', { body }),
      room: (roomId, o) => call('GET', room(roomId), o),
      invite: async (roomId, username) => {
        await call('POST', `${room(roomId)}/members`, { body: { username } });
      },
      removeMember: async (roomId, signPub) => {
        await call('POST', `${room(roomId)}/members/${key(signPub)}/remove`, { body: {} });
      },
      messages: async (roomId, query = {}, o) => {
        const params = new URLSearchParams();
        if (query.before !== undefined) params.set('before', query.before);
        params.set('limit', String(query.limit ?? 50));
        const page = await call<unknown>('GET', `${room(roomId)}/messages?${params}`, o);
        if (!Array.isArray(page)) throw new Error('The server sent messages in an unexpected shape');
        // Checked like the stream's: what the page cannot show safely is left out, not guessed at.
        return page.flatMap((item: unknown) => parseRoomMessage(item) ?? []);
      },
      send: (roomId, input) => call('POST', `${room(roomId)}/messages`, { body: input }),
      uploadAttachment: (roomId, file, o = {}) =>
        answer(() =>
          upload({
            url: `${baseUrl}${room(roomId)}/attachments`,
            body: file,
            headers: {
              Accept: 'application/json',
              'Content-Type': 'application/octet-stream',
              // A header carries Latin-1 only: the name goes percent-encoded (UTF-8), as a URL would carry it.
              'X-File-Name': encodeURIComponent(file.name),
              // Informative only (the gateway serves every download as bytes); browsers give '' when unsure.
              ...(file.type === '' ? {} : { 'X-File-Type': file.type }),
            },
            onProgress: o.onProgress,
            signal: o.signal,
          }),
        ),
      markRead: async (roomId, upTo) => {
        await call('POST', `${room(roomId)}/read`, { body: { upTo } });
      },
    },
    users: {
      list: (o) => call('GET', '/users', o),
      add: (body) => call('POST', '/users', { body }),
      revoke: (signPub) => call('POST', `/users/${key(signPub)}/revoke`, { body: {} }),
    },
    devices: {
      list: (o) => call('GET', '/identities', o),
      register: (body) => call('POST', '/identities', { body }),
      revoke: (signPub) => call('POST', `/identities/${key(signPub)}/revoke`, { body: {} }),
    },
    status: (o) => call('GET', '/status', o),
  };
}

/**
 * 401 from the accounts guard (no session, or it ended). The bus's own `bus_unauthorized` is about a
 * signature or an identity, not the session, and signs nobody out.
 */
function isSessionEnded(error: ApiError): boolean {
  return error.status === 401 && error.code !== 'bus_unauthorized';
}

/** The bus is not running here: its routes are not there (404 on a path under /bus), or it is unavailable. */
export function isBusOff(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return (
    (error.status === 404 && (error.code === 'http_404' || error.code === 'not_found')) ||
    error.code === 'bus_unavailable'
  );
}

export { readError };
