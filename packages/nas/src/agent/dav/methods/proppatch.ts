// PROPPATCH (RFC 4918 9.2): sets and removes dead properties in document order, all or nothing.

import { readTextBody } from '../body.js';
import type { DavRequest } from '../context.js';
import { DavError } from '../errors.js';
import type { DavLimits } from '../limits.js';
import { hrefElement, multistatus, statusElement } from '../multistatus.js';
import { evaluateIf, requireLockTokens } from '../preconditions.js';
import { PROTECTED_PROPS } from '../props/live.js';
import { distinctNames, nameKey } from '../props/requested-names.js';
import { hrefOf } from '../request-path.js';
import { sendXml } from '../respond.js';
import { type PatchOutcome, type PropPatchOp, propBytes } from '../state/prop-store.js';
import { childElements, isDav, parseXml, type XmlElement } from '../xml/parse.js';
import { escapeText, namePrefixes, propElement, serializeContent } from '../xml/write.js';

interface PropertyUpdate {
  ops: PropPatchOp[];
  /** Sets whose value passed the size cap while it was written out; their value was not kept. */
  oversized: Set<PropPatchOp>;
}

/**
 * The operations in document order, capped in number and name bytes (413). A value is written out only up to
 * the property size cap: sibling elements each declare their namespaces, so the text of a 1 MB value could be
 * hundreds of megabytes.
 */
function parsePropertyUpdate(text: string, limits: DavLimits): PropertyUpdate {
  if (text.trim() === '') throw new DavError('malformed_xml', 'PROPPATCH needs a DAV:propertyupdate body');
  const root = parseXml(text);
  if (!isDav(root, 'propertyupdate'))
    throw new DavError('malformed_xml', 'The body must be DAV:propertyupdate');
  const properties: { set: boolean; property: XmlElement }[] = [];
  for (const instruction of childElements(root)) {
    const set = isDav(instruction, 'set');
    if (!set && !isDav(instruction, 'remove')) continue;
    for (const prop of childElements(instruction)) {
      if (!isDav(prop, 'prop')) continue;
      for (const property of childElements(prop)) properties.push({ set, property });
    }
  }
  if (properties.length === 0) throw new DavError('malformed_xml', 'DAV:propertyupdate names no property');
  distinctNames(
    properties.map(({ property }) => ({ ns: property.ns, local: property.local })),
    limits,
    properties.length,
  );
  const oversized = new Set<PropPatchOp>();
  const ops = properties.map(({ set, property }): PropPatchOp => {
    if (!set) return { op: 'remove', ns: property.ns, name: property.local };
    const value = serializeContent(property, limits.maxPropertyBytes);
    const op: PropPatchOp = {
      op: 'set',
      prop: { ns: property.ns, name: property.local, value: value ?? '', lang: property.lang },
    };
    if (value === undefined) oversized.add(op);
    return op;
  });
  return { ops, oversized };
}

function quotaMessage(outcome: PatchOutcome & { ok: false }, perResource: number, perExport: number): string {
  return outcome.exceeded === 'count'
    ? `A resource may have at most ${perResource} dead properties; remove some first`
    : `The dead properties of this export would take more than ${perExport} bytes; remove some first`;
}

const opName = (op: PropPatchOp) => (op.op === 'set' ? { ns: op.prop.ns, name: op.prop.name } : op);
const isProtected = (op: PropPatchOp) => {
  const { ns, name } = opName(op);
  return ns === 'DAV:' && PROTECTED_PROPS.has(name);
};

export async function handleProppatch(r: DavRequest): Promise<void> {
  const { ctx } = r;
  const { limits } = ctx;
  const update = parsePropertyUpdate(await readTextBody(r.req, ctx.maxXmlBytes), limits);
  const { ops } = update;
  const target = await ctx.root.resolve(r.path.segments);
  if (target.kind !== 'found' || (r.path.trailingSlash && !target.stats.isDirectory())) {
    throw new DavError('not_found', 'No such resource');
  }
  const submitted = await evaluateIf(r, target);
  requireLockTokens(r, submitted, [{ key: target.key }]);

  const href = hrefOf(r.scope.prefix, r.path.segments, target.stats.isDirectory());
  // Each namespace is declared once, on the D:response; each property is listed once per propstat.
  const prefixes = namePrefixes('n');
  const names = (list: readonly PropPatchOp[]) => {
    const seen = new Set<string>();
    let out = '';
    for (const op of list) {
      const { ns, name } = opName(op);
      const key = nameKey({ ns, local: name });
      if (seen.has(key)) continue;
      seen.add(key);
      out += propElement(prefixes.qualify(ns, name), '');
    }
    return out;
  };
  const description = (text: string) => `<D:responsedescription>${escapeText(text)}</D:responsedescription>`;
  /** The refused operations get `status`, the rest 424 Failed Dependency: nothing is applied (RFC 4918 9.2.1). */
  const refuse = (refused: readonly PropPatchOp[], status: string, why: string) => {
    const refusedSet = new Set(refused);
    const others = ops.filter((op) => !refusedSet.has(op));
    let out = `<D:propstat><D:prop>${names(refused)}</D:prop>${status}${why}</D:propstat>`;
    if (others.length > 0)
      out += `<D:propstat><D:prop>${names(others)}</D:prop>${statusElement(424)}</D:propstat>`;
    return out;
  };
  let propstats: string;
  const protectedOps = ops.filter(isProtected);
  const oversized = ops.filter(
    (op) => update.oversized.has(op) || (op.op === 'set' && propBytes(op.prop) > limits.maxPropertyBytes),
  );
  if (protectedOps.length > 0) {
    propstats = refuse(
      protectedOps,
      statusElement(403),
      '<D:error><D:cannot-modify-protected-property/></D:error>',
    );
  } else if (oversized.length > 0) {
    // 403 rather than 507: the value is refused for its size whatever the space left (RFC 4918 9.2.1).
    propstats = refuse(
      oversized,
      statusElement(403),
      description(`A property may take at most ${limits.maxPropertyBytes} bytes; store large data in a file`),
    );
  } else {
    const outcome = ctx.state.props.patch(ctx.root.real, target.key, ops, {
      maxPerResource: limits.maxPropertiesPerResource,
      maxBytesPerExport: limits.maxPropertyBytesPerExport,
    });
    propstats = outcome.ok
      ? `<D:propstat><D:prop>${names(ops)}</D:prop>${statusElement(200)}</D:propstat>`
      : refuse(
          ops.filter((op) => op.op === 'set'),
          statusElement(507),
          description(
            quotaMessage(outcome, limits.maxPropertiesPerResource, limits.maxPropertyBytesPerExport),
          ),
        );
  }
  sendXml(
    r.res,
    207,
    multistatus(`<D:response${prefixes.declarations()}>${hrefElement(href)}${propstats}</D:response>`),
  );
}
