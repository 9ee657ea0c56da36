// LOCK (RFC 4918 9.10): new exclusive or shared write locks, refreshes (empty body + If), and locks on unmapped
// URLs, which create an empty file (RFC 4918 7.3; there are no lock-null resources since RFC 4918).

import { close, open, unlink } from 'node:fs';
import { readTextBody } from '../body.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { errnoCode } from '../fs/resolve.js';
import { parseDepth, parseTimeout } from '../headers.js';
import { evaluateIf, requireLockTokens } from '../preconditions.js';
import { renderActiveLock } from '../props/live.js';
import { hrefOf, segmentsOf } from '../request-path.js';
import { sendXml, XML_DECLARATION } from '../respond.js';
import { parentKey } from '../state/keys.js';
import type { DavLock } from '../state/lock-store.js';
import { parseLockInfo } from './lock-body.js';

/** Creates an empty file; O_EXCL, so a name taken meanwhile (or a dangling symlink) is never written through. */
const createEmpty = (path: string) =>
  new Promise<void>((resolve, reject) =>
    open(path, 'wx', (error, fd) => {
      if (error) {
        reject(error);
        return;
      }
      close(fd, (closeError) => (closeError ? reject(closeError) : resolve()));
    }),
  );

function lockResponse(lock: DavLock, rootHref: string, now: number): string {
  return `${XML_DECLARATION}<D:prop xmlns:D="DAV:"><D:lockdiscovery>${renderActiveLock(lock, rootHref, now)}</D:lockdiscovery></D:prop>`;
}

export async function handleLock(r: DavRequest): Promise<void> {
  const { ctx } = r;
  const body = await readTextBody(r.req, ctx.maxXmlBytes);
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind === 'orphan') throw new DavError('conflict', 'The parent collection does not exist');
  const timeoutSeconds = parseTimeout(r.req, ctx.lockTimeouts);
  const now = ctx.clock();
  const root = ctx.root.real;

  if (body.trim() === '') {
    // A refresh names its lock in the If header (RFC 4918 9.10.2).
    if (r.req.headers.if === undefined)
      throw new DavError('bad_request', 'A LOCK refresh needs an If header');
    const submitted = await evaluateIf(r, target);
    const mine = ctx.state.locks
      .covering(root, target.key, now)
      .filter((lock) => submitted.has(lock.token) && lock.principal === r.scope.principal);
    const first = mine[0];
    if (first === undefined) {
      throw new DavError(
        'precondition_failed',
        'No lock of yours on this resource was named in the If header',
        {
          condition: 'lock-token-matches-request-uri',
        },
      );
    }
    const refreshed = ctx.state.locks.refresh(first.token, timeoutSeconds, now) ?? first;
    const isCollection = target.kind === 'found' && target.stats.isDirectory();
    const rootHref =
      refreshed.path === target.key
        ? hrefOf(r.scope.prefix, r.path.segments, isCollection)
        : hrefOf(r.scope.prefix, segmentsOf(refreshed.path), true);
    sendXml(r.res, 200, lockResponse(refreshed, rootHref, now));
    return;
  }

  const info = parseLockInfo(body, ctx.limits.maxLockOwnerBytes);
  const isCollection = target.kind === 'found' && target.stats.isDirectory();
  const depth = parseDepth(r.req, 'infinity');
  if (depth === '1') throw new DavError('bad_request', 'LOCK accepts Depth 0 or infinity');
  const submitted = await evaluateIf(r, target);

  // An exclusive lock conflicts with any lock in its scope; a shared one only with exclusive locks.
  const inScope = ctx.state.locks.covering(root, target.key, now);
  if (depth === 'infinity') {
    for (const lock of ctx.state.locks.within(root, target.key, now))
      if (lock.path !== target.key) inScope.push(lock);
  }
  const conflicts = inScope.filter((lock) => info.scope === 'exclusive' || lock.scope === 'exclusive');
  if (conflicts.length > 0) {
    throw new DavError('locked', 'A conflicting lock is held on this resource', {
      condition: 'no-conflicting-lock',
      hrefs: [...new Set(conflicts.map((lock) => hrefOf(r.scope.prefix, segmentsOf(lock.path), false)))],
    });
  }

  // Quotas before anything is created: a lock refused must not leave an empty file behind.
  const held = ctx.state.locks.count(root, target.key, now);
  if (held.atPath >= ctx.limits.maxLocksPerResource) {
    throw new DavError(
      'insufficient_storage',
      `This resource already has ${held.atPath} locks, the most it may have; unlock one first`,
    );
  }
  if (held.inExport >= ctx.limits.maxLocksPerExport) {
    throw new DavError(
      'insufficient_storage',
      `This export already has ${held.inExport} locks, the most it may have; unlock some first`,
    );
  }

  let created = false;
  if (target.kind === 'missing') {
    // Creating the resource changes its parent's membership.
    requireLockTokens(r, submitted, [{ key: parentKey(target.key) }]);
    try {
      await createEmpty(target.entryPath);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST')
        throw new DavError('conflict', 'Something appeared at this URL meanwhile');
      throw error;
    }
    ctx.state.props.removeTree(root, target.key);
    created = true;
  }
  const lock: DavLock = {
    token: ctx.newLockToken(),
    root,
    path: target.key,
    scope: info.scope,
    // Depth means nothing on a file; recording 0 keeps discovery honest if a folder later takes the name.
    depth: isCollection ? depth : '0',
    owner: info.owner,
    principal: r.scope.principal,
    timeoutSeconds,
    expiresAt: now + timeoutSeconds * 1000,
  };
  // Checked again with the insert, atomically: another LOCK (maybe in another worker process) may have won
  // while the file was created.
  const late = ctx.state.locks.create(lock, now);
  if (late.length > 0) {
    if (created) await new Promise<void>((resolve) => unlink(target.entryPath, () => resolve()));
    throw new DavError('locked', 'A conflicting lock is held on this resource', {
      condition: 'no-conflicting-lock',
      hrefs: [...new Set(late.map((other) => hrefOf(r.scope.prefix, segmentsOf(other.path), false)))],
    });
  }
  sendXml(
    r.res,
    created ? 201 : 200,
    lockResponse(lock, hrefOf(r.scope.prefix, r.path.segments, isCollection), now),
    {
      'Lock-Token': `<${lock.token}>`,
    },
  );
}
