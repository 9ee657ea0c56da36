// PROPFIND (RFC 4918 9.1) with Depth 0 or 1. A folder's multistatus is streamed in batches: the folder is read,
// stated and rendered a batch at a time, only when the client has taken the previous one, so memory does not
// grow with the folder. One query finds which members have dead properties; only those are fetched.

import { statfs } from 'node:fs/promises';
import { readTextBody } from '../body.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { listMembers, type Member } from '../fs/list-members.js';
import { createExportRoot } from '../fs/resolve.js';
import { parseDepth } from '../headers.js';
import { MULTISTATUS_END } from '../multistatus.js';
import { evaluateIf } from '../preconditions.js';
import { LIVE_PROPS, type RenderEnv, type ResourceView } from '../props/live.js';
import { type PropfindRequest, parsePropfindBody } from '../props/propfind-body.js';
import { propfindRenderer } from '../props/render-response.js';
import { hrefOf } from '../request-path.js';
import { sendXml, XML_TYPE } from '../respond.js';
import { isSameOrBelow } from '../state/keys.js';
import type { DavLock } from '../state/lock-store.js';
import type { DeadProp } from '../state/prop-store.js';
import { batchBytes, streamBatches } from '../stream-batches.js';
import { escapeText } from '../xml/write.js';

// Live properties that never need a dead-property lookup (displayname may be overridden by a stored one).
const LIVE_ONLY = new Set([...LIVE_PROPS.keys()].filter((name) => name !== 'displayname'));

/** Whether answering needs the dead properties (any name we do not compute, or a displayname override). */
function needsDead(request: PropfindRequest): boolean {
  if (request.kind !== 'prop') return true;
  return request.names.some((name) => name.ns !== 'DAV:' || !LIVE_ONLY.has(name.local));
}

function needsLocks(request: PropfindRequest): boolean {
  return (
    request.kind !== 'prop' ||
    request.names.some((name) => name.ns === 'DAV:' && name.local === 'lockdiscovery')
  );
}

function needsQuota(request: PropfindRequest): boolean {
  const names = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
  return names.some((name) => name.ns === 'DAV:' && name.local.startsWith('quota-'));
}

/**
 * Members read, stated, rendered and written at a time: about 150 KB to 1 MB of XML, written with one call,
 * and a yield to other requests in between.
 */
const MEMBERS_PER_BATCH = 256;

/**
 * A batch's first buffer: enough for a small folder; one of 256 members (about 190 KB of allprop) grows it
 * by doubling, and later batches start at the size the first one reached.
 */
const BATCH_BYTES_HINT = 16 * 1024;

/** Names encodeURIComponent leaves as they are (most file names): their href needs no encoding call. */
const URI_SAFE = /^[\w.!~*'()-]*$/;

const NONE: readonly never[] = [];

const applying = (locks: readonly DavLock[], key: string) =>
  locks.filter((lock) => lock.path === key || (lock.depth === 'infinity' && isSameOrBelow(key, lock.path)));

/**
 * Depth: infinity (also the default when Depth is absent) is refused with 403 and DAV:propfind-finite-depth, as
 * RFC 4918 9.1 allows: an export can hold millions of files, and no mainstream client (Finder, Windows,
 * davfs2, rclone) needs more than Depth 1.
 */
export async function handlePropfind(r: DavRequest): Promise<void> {
  const { ctx } = r;
  const depth = parseDepth(r.req, 'infinity');
  if (depth === 'infinity') {
    throw new DavError('forbidden', 'PROPFIND with Depth: infinity is not supported; use Depth 0 or 1', {
      condition: 'propfind-finite-depth',
    });
  }
  const request = parsePropfindBody(await readTextBody(r.req, ctx.maxXmlBytes), ctx.limits);
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind !== 'found' || (r.path.trailingSlash && !target.stats.isDirectory())) {
    throw new DavError('not_found', 'No such resource');
  }
  if (r.req.headers.if !== undefined) await evaluateIf(r, target);

  const root = ctx.root.real;
  const now = ctx.clock();
  const isCollection = target.stats.isDirectory();
  const listing = depth === '1' && isCollection;
  // Members are keyed under the folder's real path: through a symlinked folder that differs from its own key.
  const membersParent = target.targetPath === root ? '/' : target.targetPath.slice(root.length);

  const wantDead = needsDead(request);
  const ownDead: readonly DeadProp[] = wantDead ? ctx.state.props.list(root, target.key) : [];
  // One query for the folder: only the members it names get their properties fetched, batch by batch.
  const withDead = wantDead && listing ? ctx.state.props.pathsWithProps(root, membersParent) : undefined;
  let locks: DavLock[] = [];
  if (needsLocks(request)) {
    locks = listing ? ctx.state.locks.forFolder(root, membersParent, now) : [];
    if (!listing || membersParent !== target.key)
      locks.push(...ctx.state.locks.covering(root, target.key, now));
  }
  let quota: RenderEnv['quota'];
  if (needsQuota(request)) {
    const space = await statfs(target.targetPath);
    quota = { available: space.bavail * space.bsize, used: (space.blocks - space.bfree) * space.bsize };
  }
  const env: RenderEnv = { prefix: r.scope.prefix, now, quota };
  const renderer = propfindRenderer(request, env);

  const self: ResourceView = {
    href: hrefOf(r.scope.prefix, r.path.segments, isCollection),
    key: target.key,
    name: r.path.segments[r.path.segments.length - 1] ?? '',
    stats: target.stats,
    collection: isCollection,
    dead: ownDead,
    locks: locks.length === 0 ? [] : applying(locks, target.key),
  };
  const head = renderer.head + renderer.render(self);
  if (!listing) {
    sendXml(r.res, 207, head + MULTISTATUS_END);
    return;
  }

  // A member's href is the folder's plus its encoded name; its key, the folder's key plus its name.
  const folderHref = hrefOf(r.scope.prefix, r.path.segments, true);
  // Escaped once: an encoded name holds nothing character data must escape.
  const folderHrefText = escapeText(folderHref);
  const keyBase = membersParent === '/' ? '/' : `${membersParent}/`;
  const bytes = batchBytes(BATCH_BYTES_HINT);
  const renderBatch = (members: readonly Member[]): void => {
    let deadByKey: Map<string, DeadProp[]> | undefined;
    if (withDead !== undefined && withDead.size > 0) {
      const keys = members.map((member) => keyBase + member.name).filter((key) => withDead.has(key));
      if (keys.length > 0) deadByKey = ctx.state.props.listMany(root, keys);
    }
    for (const member of members) {
      const key = keyBase + member.name;
      const collection = member.stats.isDirectory();
      const encoded = URI_SAFE.test(member.name) ? member.name : encodeURIComponent(member.name);
      const slash = collection ? '/' : '';
      bytes.add(
        renderer.render({
          href: folderHref + encoded + slash,
          hrefText: folderHrefText + encoded + slash,
          key,
          name: member.name,
          stats: member.stats,
          collection,
          dead: deadByKey?.get(key) ?? NONE,
          locks: locks.length === 0 ? NONE : applying(locks, key),
        }),
      );
    }
  };

  // The folder is read a batch at a time; one that fits in a batch is answered with a Content-Length.
  const reach = r.scope.containedIn === undefined ? ctx.root : createExportRoot(r.scope.containedIn);
  const lister = await listMembers(reach, target.targetPath, MEMBERS_PER_BATCH);
  try {
    const first = await lister.next();
    const second = first === undefined ? undefined : await lister.next();
    if (second === undefined) {
      bytes.add(head);
      if (first !== undefined) renderBatch(first);
      bytes.add(MULTISTATUS_END);
      sendXml(r.res, 207, bytes.take());
      return;
    }
    const pending = [first ?? [], second];
    await streamBatches(r.res, {
      status: 207,
      headers: { 'Content-Type': XML_TYPE },
      head,
      next: async () => {
        const members = pending.shift() ?? (await lister.next());
        if (members === undefined) return undefined;
        renderBatch(members);
        return bytes.take();
      },
      tail: MULTISTATUS_END,
    });
  } finally {
    await lister.close();
  }
}
