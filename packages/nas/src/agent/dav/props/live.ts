// The live properties this server computes from the filesystem and the lock table (RFC 4918 15, RFC 4331).

import type { Stats } from 'node:fs';
import { contentTypeOf } from '../content-type.js';
import { creationMs, etagOf } from '../etag.js';
import { hrefOf, segmentsOf } from '../request-path.js';
import type { DavLock } from '../state/lock-store.js';
import type { DeadProp } from '../state/prop-store.js';
import { escapeText } from '../xml/write.js';
import { fastHttpDate, fastIsoDate } from './dates.js';

/** One resource as PROPFIND renders it. */
export interface ResourceView {
  /** Href as the client addressed it (a collection's ends with '/'). */
  href: string;
  /**
   * `href` already escaped as character data, when the caller has it for less than escaping it (a listing
   * escapes the folder's href once; its members' encoded names need no escaping).
   */
  hrefText?: string;
  key: string;
  /** Last path segment ('' for the export root). */
  name: string;
  stats: Stats;
  collection: boolean;
  dead: readonly DeadProp[];
  /** Locks that apply to this resource. */
  locks: readonly DavLock[];
}

export interface RenderEnv {
  prefix: string;
  now: number;
  /** Filesystem space, when a quota property was asked for. */
  quota: { available: number; used: number } | undefined;
}

interface LiveProp {
  /** Returned by allprop (RFC 4331 keeps the quota properties out of it: they can be costly to compute). */
  allprop: boolean;
  /**
   * The property element, or undefined when it does not apply to this resource (then it is a 404). Whether it
   * applies depends only on `view.collection` and `env`: a listing works it out once per kind of member.
   */
  render(view: ResourceView, env: RenderEnv): string | undefined;
}

// Characters XML 1.0 cannot carry even as references; a file name may hold them, a displayname may not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above; no 'g', so test() keeps no lastIndex.
const HAS_NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

const SUPPORTED_LOCK =
  '<D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>' +
  '</D:lockentry><D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype>' +
  '</D:lockentry></D:supportedlock>';

/** A DAV:activelock element; `rootHref` is the lock root's href. */
export function renderActiveLock(lock: DavLock, rootHref: string, now: number): string {
  const seconds = Math.max(0, Math.ceil((lock.expiresAt - now) / 1000));
  return (
    `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth}</D:depth>${lock.owner}<D:timeout>Second-${seconds}</D:timeout>` +
    `<D:locktoken><D:href>${escapeText(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeText(rootHref)}</D:href></D:lockroot></D:activelock>`
  );
}

export function renderLockDiscovery(view: ResourceView, env: RenderEnv): string {
  if (view.locks.length === 0) return '<D:lockdiscovery/>';
  let out = '<D:lockdiscovery>';
  for (const lock of view.locks) {
    // A lock rooted elsewhere is a depth-infinity lock of an ancestor, hence a collection.
    const rootHref = lock.path === view.key ? view.href : hrefOf(env.prefix, segmentsOf(lock.path), true);
    out += renderActiveLock(lock, rootHref, env.now);
  }
  return `${out}</D:lockdiscovery>`;
}

export const LIVE_PROPS: ReadonlyMap<string, LiveProp> = new Map<string, LiveProp>([
  [
    'resourcetype',
    {
      allprop: true,
      render: (v) =>
        v.collection ? '<D:resourcetype><D:collection/></D:resourcetype>' : '<D:resourcetype/>',
    },
  ],
  [
    'getcontentlength',
    {
      allprop: true,
      render: (v) => (v.collection ? undefined : `<D:getcontentlength>${v.stats.size}</D:getcontentlength>`),
    },
  ],
  [
    'getcontenttype',
    {
      allprop: true,
      render: (v) =>
        v.collection ? undefined : `<D:getcontenttype>${contentTypeOf(v.name)}</D:getcontenttype>`,
    },
  ],
  [
    'getlastmodified',
    {
      allprop: true,
      render: (v) => `<D:getlastmodified>${fastHttpDate(v.stats.mtimeMs)}</D:getlastmodified>`,
    },
  ],
  [
    'creationdate',
    { allprop: true, render: (v) => `<D:creationdate>${fastIsoDate(creationMs(v.stats))}</D:creationdate>` },
  ],
  // An ETag is hex digits, '-' and quotes: nothing character data must escape.
  ['getetag', { allprop: true, render: (v) => `<D:getetag>${etagOf(v.stats)}</D:getetag>` }],
  [
    'displayname',
    {
      allprop: true,
      render: (v) =>
        `<D:displayname>${escapeText(HAS_NOT_XML.test(v.name) ? v.name.replace(NOT_XML, '\uFFFD') : v.name)}</D:displayname>`,
    },
  ],
  ['supportedlock', { allprop: true, render: () => SUPPORTED_LOCK }],
  ['lockdiscovery', { allprop: true, render: renderLockDiscovery }],
  [
    'quota-available-bytes',
    {
      allprop: false,
      render: (_v, env) =>
        env.quota && `<D:quota-available-bytes>${env.quota.available}</D:quota-available-bytes>`,
    },
  ],
  [
    'quota-used-bytes',
    {
      allprop: false,
      render: (_v, env) => env.quota && `<D:quota-used-bytes>${env.quota.used}</D:quota-used-bytes>`,
    },
  ],
]);

/**
 * Live properties PROPPATCH may not touch (403 cannot-modify-protected-property). displayname is missing on
 * purpose: RFC 4918 15.2 says it SHOULD NOT be protected, so a client's value is stored and shown instead.
 */
export const PROTECTED_PROPS: ReadonlySet<string> = new Set(
  [...LIVE_PROPS.keys()].filter((name) => name !== 'displayname'),
);
