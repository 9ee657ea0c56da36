// Parses a LOCK request body (RFC 4918 14.11 lockinfo): scope, type (write is the only one), owner.

import { DavError } from '../errors.js';
import type { LockScope } from '../state/lock-store.js';
import { childElements, davChild, isDav, parseXml } from '../xml/parse.js';
import { serializeContent } from '../xml/write.js';

export interface LockInfo {
  scope: LockScope;
  /** The DAV:owner content as XML, kept verbatim for lock discovery; '' when absent. */
  owner: string;
}

export function parseLockInfo(text: string): LockInfo {
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
  const owner = davChild(root, 'owner');
  // isDav() above guarantees local is one of the two LockScope names.
  return { scope: scope.local as LockScope, owner: owner === undefined ? '' : serializeContent(owner) };
}
