// The browser's client of a storage agent: the files API on the export's mount URL (list, watch, zip,
// resumable uploads, design13.md) and plain WebDAV for the rest (MKCOL, MOVE, COPY, DELETE, PUT), every
// request with a short-lived credential from an AccessKeeper — as a Bearer header, or as `?access_token=`
// for what the browser fetches itself (links, <img>, <video>, EventSource), which cannot carry a header.
import type { AccessKeeper } from './access-keeper';
import { AgentError, agentErrorFor, isAbort, unreachable } from './agent-error';
import { agentUrl, baseName } from './file-paths';
import type { AgentAccess, FileEntry, FolderListing } from './files-types';
import type { Send, SendRequest, SendResponse } from './send';

export interface AgentClientOptions {
  access: AccessKeeper<AgentAccess>;
  send: Send;
  /** For whole-file reads into a Blob. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface UploadStart {
  id: string;
  offset: number;
}

export interface PatchResult {
  offset: number;
  /** The last chunk: the file is in place. */
  complete: boolean;
}

export interface TransferOptions {
  signal?: AbortSignal;
  onProgress?: (sent: number) => void;
}

export interface AgentClient {
  list(path: string, signal?: AbortSignal): Promise<FolderListing>;
  /** A URL the browser opens itself: the file (inline), `download` (as an attachment) or a folder's `zip`. */
  link(path: string, as: 'inline' | 'download' | 'zip'): Promise<string>;
  /** The folder's change stream, for an EventSource. */
  watchUrl(path: string): Promise<string>;
  /** The start of a text file, at most `maxBytes` (one Range request). */
  readText(
    path: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ text: string; truncated: boolean }>;
  /** A whole file (PDF previews). */
  readBlob(path: string, signal?: AbortSignal): Promise<Blob>;
  createFolder(path: string): Promise<void>;
  /** Refused with an `exists` AgentError when `to` is taken, unless `overwrite`. */
  move(from: string, to: string, folder: boolean, overwrite?: boolean): Promise<void>;
  copy(from: string, to: string, folder: boolean, overwrite?: boolean): Promise<void>;
  remove(path: string, folder: boolean): Promise<void>;
  /** One request with the whole file (small files). Unless `overwrite`, an existing file is an `exists` error. */
  put(path: string, body: Blob, options?: TransferOptions & { overwrite?: boolean }): Promise<void>;
  startUpload(folder: string, name: string, length: number, overwrite?: boolean): Promise<UploadStart>;
  /** Where the agent has got to with an upload (after a broken connection or a pause). */
  uploadOffset(folder: string, id: string, signal?: AbortSignal): Promise<number>;
  patchUpload(
    folder: string,
    id: string,
    offset: number,
    chunk: Blob,
    options?: TransferOptions,
  ): Promise<PatchResult>;
  cancelUpload(folder: string, id: string): Promise<void>;
}

/** A 409 to a PATCH whose offset was not the agent's: it says where it is, and the upload goes on from there. */
export class OffsetMismatchError extends AgentError {
  readonly offset: number;
  constructor(offset: number) {
    super(409, 'conflict', 'The node has a different part of the file than expected.');
    this.offset = offset;
  }
}

export function createAgentClient(options: AgentClientOptions): AgentClient {
  const { access: keeper, send } = options;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  /** One request with the Bearer credential; a 401 renews it once (through the keeper) and tries again. */
  const request = (
    build: (access: AgentAccess) => Omit<SendRequest, 'headers'> & { headers?: Record<string, string> },
    action: string,
    accept: (status: number) => boolean = (status) => status >= 200 && status < 300,
  ): Promise<SendResponse> =>
    keeper.run(async (access) => {
      const built = build(access);
      let response: SendResponse;
      try {
        response = await send({
          ...built,
          headers: { ...built.headers, Authorization: `Bearer ${access.token}` },
        });
      } catch (error) {
        if (isAbort(error)) throw error;
        throw unreachable(error);
      }
      if (accept(response.status)) return response;
      throw agentErrorFor(response.status, action);
    });

  const folderUrl = (access: AgentAccess, path: string) => agentUrl(access.baseUrl, path, true);
  const itemUrl = (access: AgentAccess, path: string, folder: boolean) =>
    agentUrl(access.baseUrl, path, folder);
  const uploadUrl = (access: AgentAccess, folder: string, id: string) =>
    `${folderUrl(access, folder)}?upload=${encodeURIComponent(id)}`;
  const transfer =
    (method: 'MOVE' | 'COPY') =>
    async (from: string, to: string, folder: boolean, overwrite = false) => {
      await request(
        (access) => ({
          method,
          url: itemUrl(access, from, folder),
          headers: {
            Destination: itemUrl(access, to, folder),
            Overwrite: overwrite ? 'T' : 'F',
          },
        }),
        `Could not ${method === 'MOVE' ? 'move' : 'copy'} ${baseName(from)}`,
      );
    };

  return {
    async list(path, signal) {
      const response = await request(
        (access) => ({
          method: 'GET',
          url: `${folderUrl(access, path)}?list`,
          ...(signal ? { signal } : {}),
        }),
        'Could not list the folder',
      );
      return parseListing(response.text);
    },
    async link(path, as) {
      return linkFor(await keeper.get(), path, as);
    },
    async watchUrl(path) {
      return linkFor(await keeper.get(), path, 'watch');
    },
    async readText(path, maxBytes, signal) {
      const response = await request(
        (access) => ({
          method: 'GET',
          url: itemUrl(access, path, false),
          headers: { Range: `bytes=0-${maxBytes - 1}` },
          ...(signal ? { signal } : {}),
        }),
        `Could not open ${baseName(path)}`,
      );
      const total = totalLength(response);
      // An agent that ignored the Range sent it all: cut it here.
      const text = response.text.length > maxBytes ? response.text.slice(0, maxBytes) : response.text;
      return { text, truncated: total === null ? text.length >= maxBytes : total > maxBytes };
    },
    async readBlob(path, signal) {
      return keeper.run(async (access) => {
        let response: Response;
        try {
          response = await doFetch(itemUrl(access, path, false), {
            headers: { Authorization: `Bearer ${access.token}` },
            ...(signal ? { signal } : {}),
          });
        } catch (error) {
          if (isAbort(error)) throw error;
          throw unreachable(error);
        }
        if (!response.ok) throw agentErrorFor(response.status, `Could not open ${baseName(path)}`);
        return response.blob();
      });
    },
    async createFolder(path) {
      await request(
        (access) => ({ method: 'MKCOL', url: folderUrl(access, path) }),
        `Could not create ${baseName(path)}`,
      );
    },
    move: transfer('MOVE'),
    copy: transfer('COPY'),
    async remove(path, folder) {
      await request(
        (access) => ({ method: 'DELETE', url: itemUrl(access, path, folder) }),
        `Could not delete ${baseName(path)}`,
      );
    },
    async put(path, body, transferOptions = {}) {
      await request(
        (access) => ({
          method: 'PUT',
          url: itemUrl(access, path, false),
          headers: {
            'Content-Type': 'application/octet-stream',
            ...(transferOptions.overwrite ? {} : { 'If-None-Match': '*' }),
          },
          body,
          ...signalAndProgress(transferOptions),
        }),
        `Could not upload ${baseName(path)}`,
      );
    },
    async startUpload(folder, name, length, overwrite = false) {
      const response = await request(
        (access) => ({
          method: 'POST',
          url: `${folderUrl(access, folder)}?upload`,
          headers: {
            'Upload-Length': String(length),
            'X-File-Name': encodeURIComponent(name),
            ...(overwrite ? {} : { 'If-None-Match': '*' }),
          },
        }),
        `Could not upload ${name}`,
      );
      const body = parseJson(response.text);
      const id = isRecord(body) && typeof body.id === 'string' ? body.id : null;
      if (!id) throw new AgentError(response.status, 'failed', `Could not upload ${name}: no upload id`);
      return { id, offset: isRecord(body) && typeof body.offset === 'number' ? body.offset : 0 };
    },
    async uploadOffset(folder, id, signal) {
      const response = await request(
        (access) => ({ method: 'HEAD', url: uploadUrl(access, folder, id), ...(signal ? { signal } : {}) }),
        'Could not resume the upload',
      );
      return readOffset(response);
    },
    async patchUpload(folder, id, offset, chunk, transferOptions = {}) {
      const response = await request(
        (access) => ({
          method: 'PATCH',
          url: uploadUrl(access, folder, id),
          headers: {
            'Upload-Offset': String(offset),
            'Content-Type': 'application/offset+octet-stream',
          },
          body: chunk,
          ...signalAndProgress(transferOptions),
        }),
        'Could not upload',
        (status) => (status >= 200 && status < 300) || status === 409,
      );
      if (response.status === 409) {
        const current = response.header('Upload-Offset');
        if (current === null) throw agentErrorFor(409, 'Could not upload');
        throw new OffsetMismatchError(readOffset(response));
      }
      return { offset: readOffset(response, offset + chunk.size), complete: response.status === 201 };
    },
    async cancelUpload(folder, id) {
      await request(
        (access) => ({ method: 'DELETE', url: uploadUrl(access, folder, id) }),
        'Could not cancel the upload',
        // Already gone (finished, swept): nothing left to cancel.
        (status) => (status >= 200 && status < 300) || status === 404,
      );
    },
  };
}

/**
 * A URL the browser requests itself, so the credential rides in the query (the agent takes it for GET and
 * HEAD only, strips it before logging, and answers with Referrer-Policy: no-referrer).
 */
export function linkFor(
  access: AgentAccess,
  path: string,
  as: 'inline' | 'download' | 'zip' | 'watch',
): string {
  const folder = as === 'zip' || as === 'watch';
  const url = agentUrl(access.baseUrl, path, folder);
  const query = as === 'inline' ? '' : `${as}&`;
  return `${url}?${query}access_token=${encodeURIComponent(access.token)}`;
}

function signalAndProgress(options: TransferOptions): Pick<SendRequest, 'signal' | 'onProgress'> {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

function readOffset(response: SendResponse, fallback?: number): number {
  const value = Number(response.header('Upload-Offset'));
  if (response.header('Upload-Offset') !== null && Number.isSafeInteger(value) && value >= 0) return value;
  if (fallback !== undefined) return fallback;
  throw new AgentError(response.status, 'failed', 'The node did not say how much of the upload it has');
}

/** The full size from `Content-Range: bytes 0-99/1234`, or null without one. */
function totalLength(response: SendResponse): number | null {
  const match = /\/(\d+)\s*$/.exec(response.header('Content-Range') ?? '');
  return match?.[1] ? Number(match[1]) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The `?list` answer, checked field by field: it comes from another machine. */
export function parseListing(text: string): FolderListing {
  const body = parseJson(text);
  if (!isRecord(body) || !Array.isArray(body.entries)) {
    throw new AgentError(200, 'failed', 'The node answered the listing with something unreadable.');
  }
  const entries: FileEntry[] = [];
  for (const raw of body.entries as unknown[]) {
    if (!isRecord(raw) || typeof raw.name !== 'string' || (raw.kind !== 'file' && raw.kind !== 'folder'))
      continue;
    entries.push({
      name: raw.name,
      kind: raw.kind,
      size: typeof raw.size === 'number' ? raw.size : 0,
      modified: typeof raw.modified === 'string' ? raw.modified : '',
      ...(typeof raw.type === 'string' ? { type: raw.type } : {}),
    });
  }
  return {
    path: typeof body.path === 'string' ? body.path : '/',
    entries,
    truncated: body.truncated === true,
  };
}
