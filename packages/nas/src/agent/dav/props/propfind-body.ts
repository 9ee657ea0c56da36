// Parses a PROPFIND body (RFC 4918 14.20): allprop (with include), propname, or a list of property names.

import { DavError } from '../errors.js';
import type { DavLimits } from '../limits.js';
import { childElements, isDav, parseXml } from '../xml/parse.js';
import { distinctNames, type PropName } from './requested-names.js';

export type { PropName };

export type PropfindRequest =
  | { kind: 'allprop'; include: PropName[] }
  | { kind: 'propname' }
  | { kind: 'prop'; names: PropName[] };

function invalid(message: string): DavError {
  return new DavError('malformed_xml', message);
}

/**
 * An empty body means allprop (RFC 4918 9.1). Names asked twice are answered once (a propstat lists each
 * property once), and the distinct names are capped (413) so the answer stays close to the request's size.
 */
export function parsePropfindBody(
  text: string,
  caps: Pick<DavLimits, 'maxPropertyNamesPerRequest' | 'maxPropertyNameBytesPerRequest'>,
): PropfindRequest {
  if (text.trim() === '') return { kind: 'allprop', include: [] };
  const root = parseXml(text);
  if (!isDav(root, 'propfind')) throw invalid('The PROPFIND body must be a DAV:propfind element');
  let request: PropfindRequest | undefined;
  const include: PropName[] = [];
  for (const child of childElements(root)) {
    if (isDav(child, 'include')) {
      for (const name of childElements(child)) include.push({ ns: name.ns, local: name.local });
      continue;
    }
    if (child.ns !== 'DAV:') continue; // Unknown extensions are ignored (RFC 4918 17).
    let next: PropfindRequest | undefined;
    if (child.local === 'allprop') next = { kind: 'allprop', include };
    else if (child.local === 'propname') next = { kind: 'propname' };
    else if (child.local === 'prop') {
      next = {
        kind: 'prop',
        names: childElements(child).map((name) => ({ ns: name.ns, local: name.local })),
      };
    }
    if (next === undefined) continue;
    if (request !== undefined) throw invalid('DAV:propfind may hold only one of allprop, propname and prop');
    request = next;
  }
  if (request === undefined) throw invalid('DAV:propfind must hold allprop, propname or prop');
  if (request.kind === 'prop') return { kind: 'prop', names: distinctNames(request.names, caps) };
  if (request.kind === 'allprop') return { kind: 'allprop', include: distinctNames(request.include, caps) };
  return request;
}
