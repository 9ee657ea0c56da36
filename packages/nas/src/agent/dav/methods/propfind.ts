// PROPFIND (RFC 4918 9.1) with Depth 0 or 1. A large folder's multistatus is streamed in batches: members'
// dead properties are fetched per batch, and the response waits for the client to take each batch.

import type { Dirent } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { readTextBody } from '../body.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import { readMembers, statMembers } from '../fs/list-members.js';
import { parseDepth } from '../headers.js';
import { MULTISTATUS_END } from '../multistatus.js';
import { evaluateIf } from '../preconditions.js';
import { LIVE_PROPS, type RenderEnv, type ResourceView } from '../props/live.js';
import { type PropfindRequest, parsePropfindBody } from '../props/propfind-body.js';
import { propfindRenderer } from '../props/render-response.js';
import { hrefOf } from '../request-path.js';
import { sendXml, XML_TYPE } from '../respond.js';
import { childKey, isSameOrBelow } from '../state/keys.js';
import type { DavLock } from '../state/lock-store.js';
import type { DeadProp } from '../state/prop-store.js';
import { streamBatches } from '../stream-batches.js';

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
 * Members rendered and written at a time: about 100 KB to 1 MB of XML, written with one call, and a yield to
 * other requests in between.
 */
const MEMBERS_PER_BATCH = 256;

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
  // Names only: the stats of a 10,000-file folder are several megabytes, so they are taken batch by batch.
  const entries = listing ? await readMembers(target.targetPath) : [];
  // Members are keyed under the folder's real path: through a symlinked folder that differs from its own key.
  const membersParent = target.targetPath === root ? '/' : target.targetPath.slice(root.length);

  const wantDead = needsDead(request);
  const ownDead: readonly DeadProp[] = wantDead ? ctx.state.props.list(root, target.key) : [];
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
  const memberSegments = [...r.path.segments, ''];
  const renderBatch = async (batch: readonly Dirent[]): Promise<string> => {
    const members = await statMembers(ctx.root, target.targetPath, batch);
    const keys = members.map((member) => childKey(membersParent, member.name));
    const deadByKey = wantDead ? ctx.state.props.listMany(root, keys) : undefined;
    let out = '';
    members.forEach((member, index) => {
      const key = keys[index] ?? '';
      const collection = member.stats.isDirectory();
      memberSegments[memberSegments.length - 1] = member.name;
      const view: ResourceView = {
        href: hrefOf(r.scope.prefix, memberSegments, collection),
        key,
        name: member.name,
        stats: member.stats,
        collection,
        dead: deadByKey?.get(key) ?? [],
        locks: locks.length === 0 ? [] : applying(locks, key),
      };
      out += renderer.render(view);
    });
    return out;
  };
  const head = renderer.head + renderer.render(self);
  if (entries.length <= MEMBERS_PER_BATCH) {
    sendXml(r.res, 207, head + (await renderBatch(entries)) + MULTISTATUS_END);
    return;
  }
  await streamBatches(r.res, {
    status: 207,
    headers: { 'Content-Type': XML_TYPE },
    head,
    items: entries,
    size: MEMBERS_PER_BATCH,
    render: renderBatch,
    tail: MULTISTATUS_END,
  });
}
