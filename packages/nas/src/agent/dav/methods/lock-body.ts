// Parses a LOCK request body (RFC 4918 14.11 lockinfo): scope, type (write is the only one), owner.

import { DavError } from '../errors.js';
import type { LockScope } from '../state/lock-store.js';
import { childElements, davChild, isDav, parseXml } from '../xml/parse.js';
import { serializeElement } from '../xml/write.js';

export interface LockInfo {
  scope: LockScope;
  /** The DAV:owner element as XML, kept verbatim for lock discovery; '' when absent. */
  owner: string;
}

/**
 * The owner is stored and repeated in every lock discovery, so it is capped (413 past `maxOwnerBytes`), and its
 * namespaces are declared once on D:owner: declared on each of its elements, a 900 KB body once became a
 * 349 MB owner.
 */
export function parseLockInfo(text: string, maxOwnerBytes: number): LockInfo {
  const root = parseXml(text);
  if (!isDav(root, 'lockinfo')) throw new DavError('malformed_xml', 'The LOCK body must be DAV:lockinfo');
  const scopeElement = davChild(root, 'lockscope');
  const scopes = scopeElement === undefined ? [] : childElements(scopeElement);
  const scope = scopes.find((element) => isDav(element, 'exclusive') || isDav(element, 'shared'));
  if (scope === undefined) throw new DavError('malformed_xml', 'DAV:lockscope must be exclusive or shared');
  const typeElement = davChild(root, 'locktype');
  if (typeElement === undefined || !childElements(typeElement).some((element) => isDav(element, 'write'))) {
    throw new DavError('malformed_xml', 'DAV:locktype must be write, the only lock type WebDAV defines');
  }
  const ownerElement = davChild(root, 'owner');
  let owner = '';
  if (ownerElement !== undefined) {
    const text = serializeElement(ownerElement, 'D:owner', maxOwnerBytes);
    if (text === undefined || Buffer.byteLength(text) > maxOwnerBytes) {
      throw new DavError(
        'body_too_large',
        `A lock's DAV:owner may take at most ${maxOwnerBytes} bytes; name the owner with an href or a short text`,
      );
    }
    owner = text;
  }
  // isDav() above guarantees local is one of the two LockScope names.
  return { scope: scope.local as LockScope, owner };
}
