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

/** Thrown by the writers below when their output passes its budget; never leaves this file. */
class OverBudget extends Error {}

/** Prefixes in scope while writing: namespace URI → prefix. */
type Scope = ReadonlyMap<string, string>;

interface Writer {
  next: number;
  /** Characters the output may take; counted as it grows, so a huge result is never built. */
  budget: number;
  /** Set when every namespace is declared once, on the wrapper (serializeElement); else per element. */
  hoisted?: { prefixes: Map<string, string>; declarations: string };
}

function writeElement(element: XmlElement, scope: Scope, writer: Writer): string {
  let declarations = '';
  let inner: Map<string, string> | undefined;
  const prefixFor = (ns: string): string => {
    const hoisted = writer.hoisted;
    const known = hoisted?.prefixes.get(ns) ?? inner?.get(ns) ?? scope.get(ns);
    if (known !== undefined) return known;
    const prefix = `p${writer.next}`;
    writer.next += 1;
    const declaration = ` xmlns:${prefix}="${escapeAttr(ns)}"`;
    if (hoisted !== undefined) {
      hoisted.prefixes.set(ns, prefix);
      hoisted.declarations += declaration;
      if (hoisted.declarations.length > writer.budget) throw new OverBudget();
      return prefix;
    }
    inner ??= new Map(scope);
    inner.set(ns, prefix);
    declarations += declaration;
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
  const content = writeNodes(element.children, inner ?? scope, writer);
  return content === ''
    ? `<${name}${declarations}${attrs}/>`
    : `<${name}${declarations}${attrs}>${content}</${name}>`;
}

function writeNodes(nodes: readonly XmlNode[], scope: Scope, writer: Writer): string {
  let out = '';
  for (const node of nodes) {
    out += typeof node === 'string' ? escapeText(node) : writeElement(node, scope, writer);
    if (out.length > writer.budget) throw new OverBudget();
  }
  return out;
}

/**
 * The content of `element` as XML that stands on its own: every namespace it uses is declared inside it, so it
 * can be stored and later pasted under any parent (litmus `propvalnspace` and `propmanyns` check this).
 * Sibling elements each declare what they use, so the text can be far longer than the request that carried
 * it (a long namespace URI and many empty siblings): undefined once it passes `maxChars`, before it is built.
 */
export function serializeContent(element: XmlElement, maxChars: number): string | undefined {
  try {
    return writeNodes(element.children, new Map(), { next: 0, budget: maxChars });
  } catch (error) {
    if (error instanceof OverBudget) return undefined;
    throw error;
  }
}

/**
 * `element` written as `<name …>` (a qualified name the caller's document declares) with its content, every
 * namespace the content uses declared once on it: each namespace costs its length once, however many
 * elements use it. undefined when the text would pass `maxChars`.
 */
export function serializeElement(element: XmlElement, name: string, maxChars: number): string | undefined {
  const hoisted = { prefixes: new Map<string, string>(), declarations: '' };
  try {
    const content = writeNodes(element.children, new Map(), { next: 0, budget: maxChars, hoisted });
    const text =
      content === ''
        ? `<${name}${hoisted.declarations}/>`
        : `<${name}${hoisted.declarations}>${content}</${name}>`;
    return text.length > maxChars ? undefined : text;
  } catch (error) {
    if (error instanceof OverBudget) return undefined;
    throw error;
  }
}

/** `<name${declarations} xml:lang="…">content</name>`, for a name already qualified (see NamePrefixes). */
export function propElement(
  name: string,
  content: string,
  lang: string | null = null,
  declarations = '',
): string {
  const langAttr = lang === null ? '' : ` xml:lang="${escapeAttr(lang)}"`;
  return content === ''
    ? `<${name}${declarations}${langAttr}/>`
    : `<${name}${declarations}${langAttr}>${content}</${name}>`;
}

/**
 * Prefixes for the property names of a response, each namespace declared once on the element that opens the
 * scope (the multistatus, or one D:response) instead of on every property: 170,000 names in one namespace with
 * a 2 KB URI once made a 400 MB answer to a 1 MB request. DAV: is always `D`, no namespace is unprefixed.
 */
export interface NamePrefixes {
  /** `prefix:local`, giving the namespace a prefix in this scope on first use. */
  qualify(ns: string, local: string): string;
  /** ` xmlns:…="…"` for every namespace this scope gave a prefix, for its opening tag. */
  declarations(): string;
  /** The prefix `ns` has in this scope or an enclosing one. */
  known(ns: string): string | undefined;
}

/**
 * `letter` starts this scope's prefixes (`n0`, `n1`…); `inherited` are the prefixes of an enclosing scope,
 * complete before this one is made, whose letter must differ.
 */
export function namePrefixes(letter: string, inherited?: NamePrefixes): NamePrefixes {
  const own = new Map<string, string>();
  let declarations = '';
  const known = (ns: string) => own.get(ns) ?? inherited?.known(ns);
  return {
    known,
    qualify(ns, local) {
      if (ns === 'DAV:') return `D:${local}`;
      if (ns === '') return local;
      let prefix = known(ns);
      if (prefix === undefined) {
        prefix = `${letter}${own.size}`;
        own.set(ns, prefix);
        declarations += ` xmlns:${prefix}="${escapeAttr(ns)}"`;
      }
      return `${prefix}:${local}`;
    },
    declarations: () => declarations,
  };
}
