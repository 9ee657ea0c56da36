// Enforces the If header and write locks: 412 when no If list holds, 423 when a lock's token was not submitted.

import type { DavRequest } from './context.js';
import { DavError } from './errors.js';
import { etagOf } from './etag.js';
import type { Resolved } from './fs/resolve.js';
import { headerOf } from './headers.js';
import { type IfList, parseIfHeader } from './if-header.js';
import { hrefOf, locateUrl, segmentsOf } from './request-path.js';
import { isSameOrBelow } from './state/keys.js';
import type { DavLock } from './state/lock-store.js';

interface ResourceState {
  key: string | undefined;
  etag: string | undefined;
}

function stateOf(resolved: Resolved): ResourceState {
  if (resolved.kind === 'orphan') return { key: undefined, etag: undefined };
  return { key: resolved.key, etag: resolved.kind === 'found' ? etagOf(resolved.stats) : undefined };
}

/**
 * Evaluates the If header against the resources it names and returns the submitted lock tokens (empty when
 * there is no header). Untagged lists apply to the request-URI; a tag naming something outside this export
 * has no locks and no ETag there, so only `Not` conditions can hold for it. The header holds when any list
 * holds (RFC 4918 10.4.3); a list holds when all its conditions do.
 */
export async function evaluateIf(r: DavRequest, target: Resolved): Promise<Set<string>> {
  const header = headerOf(r.req, 'if');
  if (header === undefined) return new Set();
  const parsed = parseIfHeader(header);
  const states = new Map<string | undefined, ResourceState>([[undefined, stateOf(target)]]);
  const now = r.ctx.clock();
  for (const list of parsed.lists) {
    if (await listHolds(r, list, states, now)) return parsed.tokens;
  }
  throw new DavError('precondition_failed', 'No list of the If header matches the current state');
}

async function listHolds(
  r: DavRequest,
  list: IfList,
  states: Map<string | undefined, ResourceState>,
  now: number,
): Promise<boolean> {
  let state = states.get(list.resource);
  if (state === undefined) {
    state = { key: undefined, etag: undefined };
    const place = locateUrl(list.resource ?? '', r.req.headers.host, r.scope.prefix);
    if (place.kind === 'inside') state = stateOf(await r.ctx.root.resolve(place.path.segments));
    states.set(list.resource, state);
  }
  const key = state.key;
  const tokens =
    key === undefined ? [] : r.ctx.state.locks.covering(r.ctx.root.real, key, now).map((lock) => lock.token);
  for (const condition of list.conditions) {
    const matches =
      condition.kind === 'token'
        ? tokens.includes(condition.value)
        : state.etag !== undefined && state.etag === condition.value;
    if (matches === condition.not) return false;
  }
  return true;
}

/** A resource whose locks must be satisfied; `members` adds every lock rooted below it (DELETE, MOVE). */
export interface LockCheck {
  key: string;
  members?: boolean;
}

/** A resource that stays locked against this request, and the roots of the locks that protect it. */
export interface LockFailure {
  key: string;
  lockRoots: string[];
}

/**
 * The resources among `checks` that are locked and for which none of the covering locks' tokens was submitted
 * by the principal who took that lock. With shared locks, any one of them suffices.
 */
export function lockFailures(
  r: DavRequest,
  submitted: ReadonlySet<string>,
  checks: readonly LockCheck[],
): LockFailure[] {
  const { locks } = r.ctx.state;
  const root = r.ctx.root.real;
  const now = r.ctx.clock();
  const failures: LockFailure[] = [];
  const satisfied = (lock: DavLock) => submitted.has(lock.token) && lock.principal === r.scope.principal;
  for (const check of checks) {
    const relevant = locks.covering(root, check.key, now);
    if (check.members) {
      for (const lock of locks.within(root, check.key, now)) if (lock.path !== check.key) relevant.push(lock);
    }
    if (relevant.length === 0) continue;
    // Each lock root in play is one protected resource: the checked one, plus members locked on their own.
    const keys = new Set([check.key]);
    for (const lock of relevant)
      if (lock.path !== check.key && isSameOrBelow(lock.path, check.key)) keys.add(lock.path);
    for (const key of keys) {
      const applying = relevant.filter(
        (lock) => lock.path === key || (lock.depth === 'infinity' && isSameOrBelow(key, lock.path)),
      );
      if (applying.length > 0 && !applying.some(satisfied)) {
        failures.push({ key, lockRoots: [...new Set(applying.map((lock) => lock.path))] });
      }
    }
  }
  return failures;
}

/** Throws 423 with `lock-token-submitted` naming the lock roots when any check fails. */
export function requireLockTokens(
  r: DavRequest,
  submitted: ReadonlySet<string>,
  checks: readonly LockCheck[],
): void {
  const failures = lockFailures(r, submitted, checks);
  if (failures.length === 0) return;
  const roots = [...new Set(failures.flatMap((failure) => failure.lockRoots))];
  throw new DavError('locked', 'The resource is locked and no matching lock token was submitted', {
    condition: 'lock-token-submitted',
    hrefs: roots.map((key) => hrefOf(r.scope.prefix, segmentsOf(key), false)),
  });
}
