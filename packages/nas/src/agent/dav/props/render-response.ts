// Renders a PROPFIND multistatus: the opening tag (declaring the requested names' namespaces once), then one
// <D:response> per resource: the 200 propstat with what exists, a 404 propstat with what does not.

import { statusElement } from '../multistatus.js';
import { XML_DECLARATION } from '../respond.js';
import type { DeadProp } from '../state/prop-store.js';
import { escapeText, type NamePrefixes, namePrefixes, propElement } from '../xml/write.js';
import { LIVE_PROPS, type RenderEnv, type ResourceView } from './live.js';
import type { PropfindRequest, PropName } from './propfind-body.js';

const OK = statusElement(200);
const NOT_FOUND = statusElement(404);

const isDisplayName = (prop: DeadProp) => prop.ns === 'DAV:' && prop.name === 'displayname';

function findDead(view: ResourceView, name: PropName): DeadProp | undefined {
  for (const prop of view.dead) if (prop.name === name.local && prop.ns === name.ns) return prop;
  return undefined;
}

const hrefOfView = (view: ResourceView) => `<D:href>${view.hrefText ?? escapeText(view.href)}</D:href>`;

const missingPropstat = (missing: string) =>
  missing === '' ? '' : `<D:propstat><D:prop>${missing}</D:prop>${NOT_FOUND}</D:propstat>`;

function propstats(found: string, missing: string): string {
  let out = '';
  if (found !== '') out += `<D:propstat><D:prop>${found}</D:prop>${OK}</D:propstat>`;
  out += missingPropstat(missing);
  // RFC 4918 requires at least one propstat; an empty prop list still gets an (empty) 200.
  return out === '' ? `<D:propstat><D:prop/>${OK}</D:propstat>` : out;
}

/** What a resource without dead properties gets, worked out once per kind (file or collection) per request. */
interface Plan {
  /** The live properties that apply, in answer order. */
  live: ((view: ResourceView, env: RenderEnv) => string | undefined)[];
  /** The 404 propstat's properties: asked for but not there for this kind. */
  missing: string;
  /** What follows the live properties' values, to the response's end (see renderPlanned). */
  close: string;
}

export interface PropfindRenderer {
  /** The XML declaration and the opening D:multistatus tag. */
  readonly head: string;
  /** One D:response. */
  render(view: ResourceView): string;
}

/**
 * The requested names' namespaces are declared once on the multistatus; a stored property in another
 * namespace (allprop, propname) gets its prefix declared once on its D:response.
 */
export function propfindRenderer(request: PropfindRequest, env: RenderEnv): PropfindRenderer {
  const shared = namePrefixes('n');
  const named = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
  for (const name of named) shared.qualify(name.ns, name.local);
  const head = `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:"${shared.declarations()}>`;

  const renderDead = (prop: DeadProp, prefixes: NamePrefixes) =>
    propElement(prefixes.qualify(prop.ns, prop.name), prop.value, prop.lang);

  function renderNamed(
    view: ResourceView,
    names: readonly PropName[],
    prefixes: NamePrefixes,
  ): [string, string] {
    let found = '';
    let missing = '';
    for (const name of names) {
      const dead = findDead(view, name);
      if (dead !== undefined) {
        found += renderDead(dead, prefixes);
        continue;
      }
      const live = name.ns === 'DAV:' ? LIVE_PROPS.get(name.local) : undefined;
      const element = live?.render(view, env);
      if (element === undefined) missing += propElement(prefixes.qualify(name.ns, name.local), '');
      else found += element;
    }
    return [found, missing];
  }

  /**
   * The plan for resources of `sample`'s kind with no dead property: which names are found does not depend on
   * anything else (see LiveProp.render), so a listing only renders values.
   */
  function planFor(sample: ResourceView): Plan {
    const plan: Plan = { live: [], missing: '', close: '' };
    const add = (names: readonly PropName[]) => {
      for (const name of names) {
        const live = name.ns === 'DAV:' ? LIVE_PROPS.get(name.local) : undefined;
        if (live !== undefined && live.render(sample, env) !== undefined) plan.live.push(live.render);
        // Every requested name is declared on the multistatus: qualifying it adds no declaration.
        else plan.missing += propElement(shared.qualify(name.ns, name.local), '');
      }
    };
    if (request.kind === 'prop') add(request.names);
    else if (request.kind === 'allprop') {
      for (const live of LIVE_PROPS.values())
        if (live.allprop && live.render(sample, env) !== undefined) plan.live.push(live.render);
      add(request.include.filter((name) => !(name.ns === 'DAV:' && LIVE_PROPS.get(name.local)?.allprop)));
    }
    plan.close = `</D:prop>${OK}</D:propstat>${missingPropstat(plan.missing)}</D:response>`;
    return plan;
  }
  let filePlan: Plan | undefined;
  let collectionPlan: Plan | undefined;

  /** The response written front to back: constant text between the values is joined once, in the plan. */
  function renderPlanned(view: ResourceView, plan: Plan): string {
    // A live property always renders an element, so the 200 propstat is empty exactly when `live` is.
    if (plan.live.length === 0)
      return `<D:response>${hrefOfView(view)}${propstats('', plan.missing)}</D:response>`;
    let out = `<D:response>${hrefOfView(view)}<D:propstat><D:prop>`;
    for (const live of plan.live) out += live(view, env);
    return out + plan.close;
  }

  function render(view: ResourceView): string {
    if (view.dead.length === 0 && request.kind !== 'propname') {
      if (view.collection) {
        collectionPlan ??= planFor(view);
        return renderPlanned(view, collectionPlan);
      }
      filePlan ??= planFor(view);
      return renderPlanned(view, filePlan);
    }
    const prefixes = namePrefixes('r', shared);
    let body: string;
    if (request.kind === 'prop') {
      const [found, missing] = renderNamed(view, request.names, prefixes);
      body = propstats(found, missing);
    } else if (request.kind === 'propname') {
      let names = '';
      for (const [local, live] of LIVE_PROPS) {
        if (live.render(view, env) !== undefined) names += `<D:${local}/>`;
      }
      for (const prop of view.dead)
        if (!isDisplayName(prop)) names += propElement(prefixes.qualify(prop.ns, prop.name), '');
      body = propstats(names, '');
    } else {
      let found = '';
      // A displayname the client set replaces the computed one.
      const ownName = view.dead.some(isDisplayName);
      for (const [local, live] of LIVE_PROPS) {
        if (!live.allprop || (ownName && local === 'displayname')) continue;
        found += live.render(view, env) ?? '';
      }
      for (const prop of view.dead) found += renderDead(prop, prefixes);
      const extra = request.include.filter(
        (name) =>
          !(name.ns === 'DAV:' && LIVE_PROPS.get(name.local)?.allprop) && findDead(view, name) === undefined,
      );
      const [more, missing] = renderNamed(view, extra, prefixes);
      body = propstats(found + more, missing);
    }
    return `<D:response${prefixes.declarations()}>${hrefOfView(view)}${body}</D:response>`;
  }

  return { head, render };
}
