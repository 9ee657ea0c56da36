// Resumable uploads (`?upload`): POST starts one, HEAD tells its offset, PATCH appends at that offset, DELETE
// cancels; the last byte moves the part into place as PUT does (whole new file or nothing). State on disk
// only (upload-state.ts), so any WebDAV worker can take the next PATCH.

import { open, stat, statfs } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MountClaims } from '../../credentials/mount-credential.js';
import { DavError } from '../dav/errors.js';
import { hrefOf, parseRequestTarget, segmentsOf } from '../dav/request-path.js';
import type { DavState } from '../dav/state/dav-state.js';
import { appendBody } from './append-body.js';
import type { FilesContext, FilesOperation } from './context.js';
import { placeUpload } from './place-upload.js';
import { requireUnlocked } from './upload-dav-state.js';
import {
  createUpload,
  isUploadId,
  listUploads,
  lockUpload,
  newUploadId,
  partPath,
  readUpload,
  removeUpload,
  type UploadRecord,
  uploadsFolder,
} from './upload-state.js';

export interface UploadOptions {
  /** Uploads open at once per export (default 64): each holds a part on the agent's disk. */
  maxOpenUploads?: number;
  clock?: () => number;
  /**
   * The agent's WebDAV state (upload-dav-state.ts): an upload is refused (423) where a WebDAV lock covers its
   * target, and a new file drops stale dead properties, as PUT does. Without it, locks are not looked at.
   */
  davState?: () => DavState;
}

export const DEFAULT_MAX_OPEN_UPLOADS = 64;
/** Longest file name (UTF-8 bytes), as most filesystems allow. */
const MAX_NAME_BYTES = 255;
const PATCH_TYPE = 'application/offset+octet-stream';
const LENGTH_PATTERN = /^\d{1,16}$/;

/** Who may upload: a read-write credential anywhere, a file drop into its folder only, nobody else. */
function uploadRight(claims: MountClaims): 'full' | 'drop' | undefined {
  if (claims.scope) return claims.scope.mode === 'drop' ? 'drop' : undefined;
  return claims.readonly ? undefined : 'full';
}

function byteCount(value: string | string[] | undefined, header: string): number {
  if (typeof value !== 'string' || !LENGTH_PATTERN.test(value.trim()))
    throw new DavError('bad_request', `${header} must be a number of bytes`);
  const count = Number(value.trim());
  if (!Number.isSafeInteger(count)) throw new DavError('bad_request', `${header} is too large`);
  return count;
}

/**
 * X-File-Name: one percent-encoded path segment, decoded and checked by WebDAV's own decoder (no `.`/`..`,
 * no `/` or `\` even encoded, no NUL, not an upload temp name), at most MAX_NAME_BYTES.
 */
function fileName(value: string | string[] | undefined): string {
  if (typeof value !== 'string' || value === '' || /[?#/]/.test(value))
    throw new DavError('bad_request', 'X-File-Name must be one percent-encoded file name');
  let segments: readonly string[];
  try {
    segments = parseRequestTarget(`/x/${value}`, '/x/').segments;
  } catch (error) {
    throw new DavError('bad_request', 'X-File-Name is not an acceptable file name', { cause: error });
  }
  const name = segments[0];
  if (segments.length !== 1 || name === undefined || Buffer.byteLength(name) > MAX_NAME_BYTES)
    throw new DavError('bad_request', `X-File-Name must be one name of at most ${MAX_NAME_BYTES} bytes`);
  return name;
}

const sameScope = (record: UploadRecord, claims: MountClaims) =>
  record.scope === null
    ? claims.scope === undefined
    : claims.scope !== undefined &&
      claims.scope.path === record.scope.path &&
      claims.scope.mode === record.scope.mode;

const offsetHeaders = (offset: number, length: number) => ({
  'Upload-Offset': String(offset),
  'Upload-Length': String(length),
  'Cache-Control': 'no-store',
});

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

function sendEmpty(response: ServerResponse, status: number, headers: Record<string, string>): void {
  response.writeHead(status, { ...headers, 'Content-Length': '0' });
  response.end();
}

/** Free bytes an ordinary user may still write where `path` lives. */
async function freeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

export function uploadsOperation(options: UploadOptions = {}): FilesOperation {
  const maxOpen = options.maxOpenUploads ?? DEFAULT_MAX_OPEN_UPLOADS;
  if (!Number.isSafeInteger(maxOpen) || maxOpen < 1)
    throw new Error('maxOpenUploads must be a positive integer');
  const clock = options.clock ?? Date.now;
  // Created once per export and process, not on every PATCH of a large file.
  const folders = new Map<string, string>();
  const partsOf = async (stateDir: string): Promise<string> => {
    let folder = folders.get(stateDir);
    if (folder === undefined) {
      folder = await uploadsFolder(stateDir);
      folders.set(stateDir, folder);
    }
    return folder;
  };

  /** POST <folder>/?upload */
  const start = async (
    request: IncomingMessage,
    response: ServerResponse,
    ctx: FilesContext,
    right: 'full' | 'drop',
  ) => {
    // A drop adds files to its folder only, and never replaces one (so it learns nothing about what is there).
    if (right === 'drop' && ctx.relativePath !== ctx.claims.scope?.path)
      throw new DavError('forbidden', 'This link only accepts files in its own folder');
    const length = byteCount(request.headers['upload-length'], 'Upload-Length');
    const name = fileName(request.headers['x-file-name']);
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*')
      throw new DavError('bad_request', 'If-None-Match on an upload can only be "*"');
    const exclusive = right === 'drop' || ifNoneMatch !== undefined;
    const folder = await ctx.exportRoot.resolve(ctx.segments);
    if (folder.kind !== 'found' || !folder.stats.isDirectory())
      throw new DavError('not_found', 'No such folder');
    const target = await ctx.exportRoot.resolve([...ctx.segments, name]);
    if (target.kind === 'orphan') throw new DavError('not_found', 'No such folder');
    // Refused now rather than after the last byte (checked again then).
    if (options.davState) requireUnlocked(options.davState(), ctx.exportRoot.real, target, clock());
    if (target.kind === 'found') {
      if (!target.stats.isFile()) throw new DavError('conflict', `"${name}" is a folder here`);
      // Refused now rather than after the last byte; checked again then (someone may create it meanwhile).
      if (exclusive) throw new DavError('precondition_failed', `"${name}" already exists`);
    }
    const parts = await partsOf(ctx.stateDir);
    const others = await listUploads(parts);
    if (others.length >= maxOpen)
      throw new DavError(
        'too_many_requests',
        `${maxOpen} uploads are already open on this export; finish or cancel one`,
      );
    // Room for this file and for what the other open uploads still announce, where the parts are written and,
    // if the export is on another filesystem, where the file ends up.
    const pending = others.reduce((sum, item) => sum + item.record.length - item.offset, 0);
    const [partsFree, exportFree, partsDev, exportDev] = await Promise.all([
      freeBytes(parts),
      freeBytes(ctx.root),
      stat(parts).then((s) => s.dev),
      stat(ctx.root).then((s) => s.dev),
    ]);
    if (partsFree < length + pending || (partsDev !== exportDev && exportFree < length + pending))
      throw new DavError('insufficient_storage', 'Not enough free space for this file');
    const record: UploadRecord = {
      v: 1,
      id: newUploadId(),
      length,
      dir: ctx.relativePath,
      name,
      exclusive,
      scope: ctx.claims.scope ?? null,
      created: clock(),
    };
    await createUpload(parts, record);
    ctx.log.info({ upload: record.id, length, dir: record.dir }, 'resumable upload started');
    sendJson(
      response,
      201,
      { id: record.id, offset: 0 },
      {
        Location: `${hrefOf(ctx.prefix, ctx.segments, true)}?upload=${record.id}`,
        ...offsetHeaders(0, length),
      },
    );
  };

  /** The upload `?upload=<id>` names, if this credential may reach it from this folder. */
  const find = async (ctx: FilesContext, id: string) => {
    const parts = await partsOf(ctx.stateDir);
    // Another folder's, another scope's, or no upload at all: the same answer, so an id cannot be probed.
    const found = isUploadId(id) ? await readUpload(parts, id) : undefined;
    if (found === undefined || found.record.dir !== ctx.relativePath || !sameScope(found.record, ctx.claims))
      throw new DavError('not_found', 'No such upload');
    return { parts, ...found };
  };

  /** PATCH <folder>/?upload=<id> */
  const append = async (
    request: IncomingMessage,
    response: ServerResponse,
    ctx: FilesContext,
    id: string,
  ) => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== PATCH_TYPE)
      throw new DavError('unsupported_media_type', `PATCH of an upload takes ${PATCH_TYPE}`);
    const claimed = byteCount(request.headers['upload-offset'], 'Upload-Offset');
    const { parts, record } = await find(ctx, id);
    const lock = await lockUpload(parts, id);
    if (lock === undefined) {
      const now = await readUpload(parts, id);
      throw new DavError('conflict', 'Another request is writing this upload', {
        headers: offsetHeaders(now?.offset ?? claimed, record.length),
      });
    }
    try {
      const handle = await open(partPath(parts, id), 'r+');
      let offset: number;
      let how: 'ended' | 'aborted' | 'overflow';
      try {
        offset = (await handle.stat()).size;
        if (claimed !== offset)
          throw new DavError('conflict', `The upload is at byte ${offset}, not ${claimed}`, {
            headers: offsetHeaders(offset, record.length),
          });
        const room = record.length - offset;
        const announced = request.headers['content-length'];
        if (announced !== undefined && byteCount(announced, 'Content-Length') > room)
          throw new DavError('body_too_large', `Only ${room} more bytes fit this upload`, {
            headers: offsetHeaders(offset, record.length),
          });
        const outcome = await appendBody(request, handle, offset, room);
        how = outcome.how;
        // A body longer than announced is refused whole: its first bytes are not trusted to be the file's.
        if (how === 'overflow') await handle.truncate(offset);
        else offset += outcome.written;
      } finally {
        await handle.close();
      }
      // Whatever came before the client went away is kept: it resumes from HEAD's offset.
      if (how === 'aborted') return;
      if (how === 'overflow')
        throw new DavError('body_too_large', `The upload is ${record.length} bytes; the body went past it`, {
          headers: offsetHeaders(offset, record.length),
        });
      if (offset < record.length) {
        // Released before the answer: the client sends the next PATCH as soon as it reads this one, perhaps
        // to another worker, and must not find the lock still held.
        await lock.release();
        sendEmpty(response, 204, offsetHeaders(offset, record.length));
        return;
      }
      const placed = await placeUpload(
        ctx,
        parts,
        record,
        options.davState ? { state: options.davState(), now: clock() } : undefined,
      );
      ctx.log.info({ upload: id, length: record.length, dir: record.dir }, 'resumable upload finished');
      await lock.release();
      sendEmpty(response, 201, {
        ...offsetHeaders(offset, record.length),
        Location: hrefOf(ctx.prefix, [...segmentsOf(record.dir), record.name], false),
        ETag: placed.etag,
      });
    } finally {
      // Idempotent: after an answer above it finds the lock gone (or another request's) and leaves it.
      await lock.release();
    }
  };

  return async (request, response, ctx) => {
    const right = uploadRight(ctx.claims);
    if (right === undefined) throw new DavError('read_only', 'This credential cannot upload');
    const id = ctx.query.get('upload') ?? '';
    const method = request.method ?? '';
    if (method === 'POST') {
      if (id !== '')
        throw new DavError('method_not_allowed', 'POST starts an upload: send it to ?upload', {
          headers: { Allow: 'HEAD, PATCH, DELETE' },
        });
      await start(request, response, ctx, right);
      return;
    }
    if (id === '')
      throw new DavError('method_not_allowed', `${method} needs ?upload=<id>`, {
        headers: { Allow: 'POST' },
      });
    if (method === 'HEAD') {
      const { record, offset } = await find(ctx, id);
      sendEmpty(response, 204, offsetHeaders(offset, record.length));
      return;
    }
    if (method === 'PATCH') {
      await append(request, response, ctx, id);
      return;
    }
    if (method === 'DELETE') {
      const { parts } = await find(ctx, id);
      // A PATCH still writing keeps its descriptor to the unlinked part and finds the upload gone at the end.
      await removeUpload(parts, id);
      ctx.log.info({ upload: id }, 'resumable upload cancelled');
      sendEmpty(response, 204, { 'Cache-Control': 'no-store' });
      return;
    }
    throw new DavError('method_not_allowed', `${method} does not apply to an upload`, {
      headers: { Allow: 'POST, HEAD, PATCH, DELETE' },
    });
  };
}
