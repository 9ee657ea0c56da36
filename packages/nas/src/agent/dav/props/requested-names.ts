// Caps what one PROPFIND or PROPPATCH may name: each name costs an element in the answer (per resource listed,
// for a PROPFIND), so the count and bytes of distinct names bound the answer by the request.

import { DavError } from '../errors.js';
import type { DavLimits } from '../limits.js';

export interface PropName {
  ns: string;
  local: string;
}

type NameCaps = Pick<DavLimits, 'maxPropertyNamesPerRequest' | 'maxPropertyNameBytesPerRequest'>;

/** A key no two different names share (a namespace URI may hold any character). */
export const nameKey = (name: PropName) => `${name.ns.length}:${name.ns}${name.local}`;

function tooMany(what: string): DavError {
  return new DavError('body_too_large', what);
}

/**
 * The distinct names of `names`, in their first order. Refuses (413) when `count` (the names or operations
 * the request holds: PROPPATCH counts every operation) or the distinct names' bytes (each namespace once)
 * pass the caps.
 */
export function distinctNames(names: readonly PropName[], caps: NameCaps, count?: number): PropName[] {
  const seen = new Set<string>();
  const namespaces = new Set<string>();
  const out: PropName[] = [];
  let bytes = 0;
  for (const name of names) {
    const key = nameKey(name);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
    bytes += Buffer.byteLength(name.local);
    if (!namespaces.has(name.ns)) {
      namespaces.add(name.ns);
      bytes += Buffer.byteLength(name.ns);
    }
  }
  const max = caps.maxPropertyNamesPerRequest;
  if ((count ?? out.length) > max)
    throw tooMany(`A request may name at most ${max} properties; ask for fewer at a time`);
  if (bytes > caps.maxPropertyNameBytesPerRequest) {
    throw tooMany(
      `The property names of a request may take at most ${caps.maxPropertyNameBytesPerRequest} bytes ` +
        '(each namespace counted once); use shorter names or ask for fewer at a time',
    );
  }
  return out;
}
