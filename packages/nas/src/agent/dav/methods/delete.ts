// DELETE: removes a file or a whole collection (Depth: infinity only, RFC 4918 9.6.1) with its properties and
// locks; locked members make it answer 207 with a 423 for each, and nothing is removed.

import { rm } from 'node:fs/promises';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { headerOf } from '../headers.js';
import { multistatusOfFailures } from '../multistatus.js';
import { evaluateIf, lockFailures, requireLockTokens } from '../preconditions.js';
import { sendEmpty, sendXml } from '../respond.js';
import { parentKey } from '../state/keys.js';

export async function handleDelete(r: DavRequest): Promise<void> {
  const { ctx } = r;
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind !== 'found' || (r.path.trailingSlash && !target.stats.isDirectory())) {
    throw new DavError('not_found', 'No such resource');
  }
  if (target.key === '/') throw new DavError('forbidden', 'The root of an export cannot be deleted');
  const depth = headerOf(r.req, 'depth')?.trim().toLowerCase();
  if (target.stats.isDirectory() && depth !== undefined && depth !== 'infinity') {
    throw new DavError('bad_request', 'DELETE of a collection must have Depth: infinity');
  }
  const submitted = await evaluateIf(r, target);
  // The parent's lock (its membership changes) and the resource's own lock answer a plain 423.
  requireLockTokens(r, submitted, [{ key: parentKey(target.key) }, { key: target.key }]);
  const members = lockFailures(r, submitted, [{ key: target.key, members: true }]);
  if (members.length > 0) {
    sendXml(r.res, 207, multistatusOfFailures(r.scope.prefix, members, 423));
    return;
  }
  await rm(target.entryPath, { recursive: true });
  ctx.smallFiles.delete(r.path.segments.join('/'));
  ctx.state.props.removeTree(ctx.root.real, target.key);
  ctx.state.locks.removeWithin(ctx.root.real, target.key);
  sendEmpty(r.res, 204);
}
