// Writes XML text: escaping, and self-contained serialization of client XML (dead property values, lock owners).

import { XML_NS, type XmlElement, type XmlNode } from './parse.js';

const TEXT_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\r': '&#13;',
};
// The test patterns have no 'g' flag: a global regex keeps lastIndex between test() calls.
const TEXT_TEST = /[&<>\r]/;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTR_TEST = /[&<>"\r]/;
const ATTR_SPECIAL = /[&<>"\r]/g;

/** Escapes character data. A bare '\r' is written as a reference so a parser does not normalize it away. */
export function escapeText(text: string): string {
  return TEXT_TEST.test(text) ? text.replace(TEXT_SPECIAL, (c) => TEXT_ESCAPES[c] ?? c) : text;
}

export function escapeAttr(text: string): string {
  return ATTR_TEST.test(text) ? text.replace(ATTR_SPECIAL, (c) => TEXT_ESCAPES[c] ?? c) : text;
}

/** Prefixes in scope while writing: namespace URI → prefix. */
type Scope = ReadonlyMap<string, string>;

interface Counter {
  next: number;
}

function writeElement(element: XmlElement, scope: Scope, counter: Counter): string {
  let declarations = '';
  let inner: Map<string, string> | undefined;
  const prefixFor = (ns: string): string => {
    const known = inner?.get(ns) ?? scope.get(ns);
    if (known !== undefined) return known;
    const prefix = `p${counter.next}`;
    counter.next += 1;
    inner ??= new Map(scope);
    inner.set(ns, prefix);
    declarations += ` xmlns:${prefix}="${escapeAttr(ns)}"`;
    return prefix;
  };
  // No default namespace is ever declared, by us or (once parsed) by the client's text, so an unprefixed name
  // is always in no namespace, which is what '' means.
  const name = element.ns === '' ? element.local : `${prefixFor(element.ns)}:${element.local}`;
  let attrs = '';
  for (const attr of element.attrs) {
    const attrName =
      attr.ns === ''
        ? attr.local
        : attr.ns === XML_NS
          ? `xml:${attr.local}`
          : `${prefixFor(attr.ns)}:${attr.local}`;
    attrs += ` ${attrName}="${escapeAttr(attr.value)}"`;
  }
  const content = writeNodes(element.children, inner ?? scope, counter);
  return content === ''
    ? `<${name}${declarations}${attrs}/>`
    : `<${name}${declarations}${attrs}>${content}</${name}>`;
}

function writeNodes(nodes: readonly XmlNode[], scope: Scope, counter: Counter): string {
  let out = '';
  for (const node of nodes)
    out += typeof node === 'string' ? escapeText(node) : writeElement(node, scope, counter);
  return out;
}

/**
 * The content of `element` as XML that stands on its own: every namespace it uses is declared inside it, so it
 * can be stored and later pasted under any parent (litmus `propvalnspace` and `propmanyns` check this).
 */
export function serializeContent(element: XmlElement): string {
  return writeNodes(element.children, new Map(), { next: 0 });
}

/** `<prefix:local xmlns:prefix="ns">content</prefix:local>`, or an unprefixed name for no namespace. */
export function wrapElement(ns: string, local: string, content: string, lang: string | null = null): string {
  const langAttr = lang === null ? '' : ` xml:lang="${escapeAttr(lang)}"`;
  if (ns === 'DAV:')
    return content === '' ? `<D:${local}${langAttr}/>` : `<D:${local}${langAttr}>${content}</D:${local}>`;
  const open = ns === '' ? local : `x:${local}`;
  const declaration = ns === '' ? '' : ` xmlns:x="${escapeAttr(ns)}"`;
  return content === ''
    ? `<${open}${declaration}${langAttr}/>`
    : `<${open}${declaration}${langAttr}>${content}</${open}>`;
}
