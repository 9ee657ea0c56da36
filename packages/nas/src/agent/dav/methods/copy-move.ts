// COPY and MOVE (RFC 4918 9.8, 9.9): Destination inside the same export, Overwrite, Depth; dead properties go
// with the resource, locks stay behind (a moved resource only gains the locks of its new parent).

import { rename, rm } from 'node:fs/promises';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { copyResource } from '../fs/copy-tree.js';
import { errnoCode, type Found } from '../fs/resolve.js';
import { headerOf, parseDepth, parseOverwrite } from '../headers.js';
import { evaluateIf, type LockCheck, requireLockTokens } from '../preconditions.js';
import { type DavPath, locateUrl } from '../request-path.js';
import { sendEmpty } from '../respond.js';
import { isSameOrBelow, parentKey } from '../state/keys.js';

function destinationOf(r: DavRequest): DavPath {
  const header = headerOf(r.req, 'destination');
  if (header === undefined || header.trim() === '') {
    throw new DavError('bad_request', 'COPY and MOVE need a Destination header');
  }
  const place = locateUrl(header.trim(), r.req.headers.host, r.scope.prefix);
  if (place.kind === 'other_server') {
    throw new DavError('bad_gateway', 'The Destination is on another server');
  }
  if (place.kind === 'elsewhere') {
    throw new DavError('forbidden', 'The Destination must be inside the same export');
  }
  return place.path;
}

export async function handleCopyMove(r: DavRequest, move: boolean): Promise<void> {
  const { ctx } = r;
  const destinationPath = destinationOf(r);
  const overwrite = parseOverwrite(r.req);
  const source = await ctx.root.resolve(r.path.segments);
  if (source.kind !== 'found' || (r.path.trailingSlash && !source.stats.isDirectory())) {
    throw new DavError('not_found', 'No such resource');
  }
  const isCollection = source.stats.isDirectory();
  const depth = parseDepth(r.req, 'infinity');
  // MOVE of a collection always moves all of it (9.9.2); COPY may copy the folder alone (9.8.3).
  if (isCollection && (depth === '1' || (move && depth !== 'infinity'))) {
    throw new DavError(
      'bad_request',
      `Depth: ${depth} is not allowed for ${move ? 'MOVE' : 'COPY'} of a collection`,
    );
  }
  if (source.key === '/')
    throw new DavError(
      'forbidden',
      `The root of an export cannot be the source of ${move ? 'MOVE' : 'COPY'}`,
    );
  const destination = await ctx.root.resolve(destinationPath.segments);
  if (destination.kind === 'orphan')
    throw new DavError('conflict', 'The Destination parent collection does not exist');
  if (destination.key === source.key)
    throw new DavError('forbidden', 'The source and the Destination are the same');
  if (isSameOrBelow(destination.key, source.key)) {
    throw new DavError('forbidden', 'A collection cannot be copied or moved into itself');
  }
  const replacing = destination.kind === 'found';
  if (replacing && isSameOrBelow(source.key, destination.key)) {
    throw new DavError(
      'forbidden',
      'The Destination contains the source; overwriting it would destroy the source',
    );
  }
  if (replacing && !overwrite)
    throw new DavError('precondition_failed', 'The Destination exists and Overwrite is F');

  const submitted = await evaluateIf(r, source);
  const checks: LockCheck[] = [
    { key: parentKey(destination.key) },
    { key: destination.key, members: replacing },
  ];
  if (move) checks.push({ key: parentKey(source.key) }, { key: source.key, members: true });
  requireLockTokens(r, submitted, checks);

  const root = ctx.root.real;
  if (!move) {
    // COPY duplicates dead properties: without this check, copying a folder again and again would double
    // them past the export's quota. (Checked before copying; concurrent writes may overshoot by one request.)
    const adding = ctx.state.props.treeBytes(root, source.key, depth === 'infinity');
    const limit = ctx.limits.maxPropertyBytesPerExport;
    if (adding > 0 && ctx.state.props.usage(root) + adding > limit) {
      throw new DavError(
        'insufficient_storage',
        `Copying would bring the dead properties of this export over ${limit} bytes; remove some first`,
      );
    }
  }
  const replaceInPlace = replacing && !isCollection && !destination.stats.isDirectory();
  if (replacing && !replaceInPlace) {
    // RFC 4918 9.8.4 / 9.9.3: overwriting means deleting the destination first; a file over a file is instead
    // replaced by one atomic rename below, so readers never see it missing.
    await rm(destination.entryPath, { recursive: true });
  }
  if (replacing) {
    ctx.smallFiles.delete(destinationPath.segments.join('/'));
    ctx.state.locks.removeWithin(root, destination.key);
  }
  if (move) {
    await moveEntry(r, source, destination.entryPath);
    ctx.smallFiles.delete(r.path.segments.join('/'));
    ctx.state.props.moveTree(root, source.key, destination.key);
    ctx.state.locks.removeWithin(root, source.key);
  } else {
    await copyResource(ctx.root, source, destination.entryPath, depth === 'infinity', ctx.log);
    ctx.state.props.copyTree(root, source.key, destination.key, depth === 'infinity');
  }
  sendEmpty(r.res, replacing ? 204 : 201);
}

/** rename(2), or copy then delete when the destination is on another filesystem mounted inside the export. */
async function moveEntry(r: DavRequest, source: Found, to: string): Promise<void> {
  try {
    await rename(source.entryPath, to);
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
    await copyResource(r.ctx.root, source, to, true, r.ctx.log);
    await rm(source.entryPath, { recursive: true });
  }
}
