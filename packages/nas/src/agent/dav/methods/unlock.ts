// UNLOCK (RFC 4918 9.11): removes a lock named by Lock-Token, if it applies here and belongs to the caller.

import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { parseLockToken } from '../headers.js';
import { sendEmpty } from '../respond.js';
import { isSameOrBelow } from '../state/keys.js';

export async function handleUnlock(r: DavRequest): Promise<void> {
  const { ctx } = r;
  const token = parseLockToken(r.req);
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind === 'orphan') throw new DavError('not_found', 'No such resource');
  const lock = ctx.state.locks.byToken(token, ctx.clock());
  const applies =
    lock !== undefined &&
    lock.root === ctx.root.real &&
    (lock.path === target.key || (lock.depth === 'infinity' && isSameOrBelow(target.key, lock.path)));
  if (!applies) {
    throw new DavError('conflict', 'That lock token does not name a lock on this resource', {
      condition: 'lock-token-matches-request-uri',
    });
  }
  // Only whoever took the lock may remove it, or an administrator (RFC 4918 9.11.1 leaves room for that).
  if (lock.principal !== r.scope.principal) {
    if (!r.scope.mayBreakLocks)
      throw new DavError(
        'forbidden',
        'The lock belongs to someone else; only its holder or an admin may remove it',
      );
    ctx.log?.info(
      { principal: r.scope.principal, holder: lock.principal, path: lock.path },
      'webdav lock broken by an admin',
    );
  }
  ctx.state.locks.remove(token);
  sendEmpty(r.res, 204);
}
