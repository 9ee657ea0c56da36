// Parses a request body (PROPFIND, PROPPATCH, LOCK) into a small namespace-resolved element tree with saxes.

import { SaxesParser } from 'saxes';
import { DavError } from '../errors.js';

export const DAV_NS = 'DAV:';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  ns: string;
  local: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI; '' for no namespace. */
  ns: string;
  local: string;
  /** Attributes other than namespace declarations (those are regenerated when the tree is written back). */
  attrs: XmlAttribute[];
  children: XmlNode[];
  /** xml:lang in scope on this element, inherited from its ancestors. */
  lang: string | null;
}

export type XmlNode = XmlElement | string;

/** Deeper nesting than any DAV body needs; the cap keeps the recursive serializer off the stack limit. */
const MAX_DEPTH = 256;

/**
 * Parses a complete document. A DOCTYPE is refused outright: DAV bodies never need one, and refusing it rules
 * out entity tricks (saxes never expands external entities, but no DTD at all is the simpler guarantee).
 */
export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;

  parser.on('error', (error) => {
    failure ??= error;
  });
  parser.on('doctype', () => {
    failure ??= new Error('DOCTYPE is not allowed');
  });
  parser.on('opentag', (tag) => {
    const parent = stack[stack.length - 1];
    let lang = parent?.lang ?? null;
    const attrs: XmlAttribute[] = [];
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.uri === XMLNS_NS) continue;
      if (attribute.uri === XML_NS && attribute.local === 'lang') lang = attribute.value;
      attrs.push({ ns: attribute.uri, local: attribute.local, value: attribute.value });
    }
    const element: XmlElement = {
      ns: tag.uri ?? '',
      local: tag.local ?? tag.name,
      attrs,
      children: [],
      lang,
    };
    if (parent === undefined) root = element;
    else parent.children.push(element);
    stack.push(element);
    if (stack.length > MAX_DEPTH) failure ??= new Error(`Elements nested deeper than ${MAX_DEPTH}`);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (text: string) => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return;
    const last = parent.children[parent.children.length - 1];
    if (typeof last === 'string') parent.children[parent.children.length - 1] = last + text;
    else parent.children.push(text);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(text).close();
  } catch (error) {
    // saxes throws the error it reported through 'error' once no handler stops it; keep the first one.
    failure ??= error instanceof Error ? error : new Error(String(error));
  }
  if (failure !== undefined || root === undefined) {
    const reason = failure?.message ?? 'empty document';
    throw new DavError('malformed_xml', `The request body is not well-formed XML: ${reason}`, {
      cause: failure,
    });
  }
  return root;
}

/** The element children of `element` (text between them is layout whitespace in every DAV request body). */
export function childElements(element: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const child of element.children) if (typeof child !== 'string') out.push(child);
  return out;
}

export function isDav(element: XmlElement, local: string): boolean {
  return element.ns === DAV_NS && element.local === local;
}

/** The first DAV: child with that name. */
export function davChild(element: XmlElement, local: string): XmlElement | undefined {
  for (const child of element.children) if (typeof child !== 'string' && isDav(child, local)) return child;
  return undefined;
}
