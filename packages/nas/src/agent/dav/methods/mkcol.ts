// MKCOL: creates one collection (RFC 4918 9.3): 201, 405 when something exists there, 409 without a parent.

import { mkdir } from 'node:fs/promises';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { errnoCode } from '../fs/resolve.js';
import { hasBody } from '../headers.js';
import { evaluateIf, requireLockTokens } from '../preconditions.js';
import { sendEmpty } from '../respond.js';
import { parentKey } from '../state/keys.js';

export async function handleMkcol(r: DavRequest): Promise<void> {
  const { ctx } = r;
  // RFC 4918 9.3.1: a body this server does not understand (it understands none) is a 415.
  if (hasBody(r.req))
    throw new DavError('unsupported_media_type', 'MKCOL with a request body is not supported');
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind === 'orphan') throw new DavError('conflict', 'The parent collection does not exist');
  if (target.kind === 'found')
    throw new DavError('method_not_allowed', 'Something already exists at this URL');
  const submitted = await evaluateIf(r, target);
  requireLockTokens(r, submitted, [{ key: target.key }, { key: parentKey(target.key) }]);
  try {
    await mkdir(target.entryPath);
  } catch (error) {
    // Lost a race with another creator, or a dangling symlink holds the name.
    if (errnoCode(error) === 'EEXIST')
      throw new DavError('method_not_allowed', 'Something already exists at this URL');
    throw error;
  }
  ctx.state.props.removeTree(ctx.root.real, target.key);
  sendEmpty(r.res, 201);
}
