// WWW-Authenticate challenges of a registry (RFC 7235 auth-params: `Bearer realm="…",service="…",scope="…"`).

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

const PARAM = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

/** The first Basic or Bearer challenge in the header, or undefined. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null || header.length > 4096) return undefined;
  const match = /^\s*(basic|bearer)\b(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of (match[2] ?? '').matchAll(PARAM)) {
    const key = (param[1] ?? '').toLowerCase();
    params[key] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase() as Challenge['scheme'], params }; // matched basic|bearer above
}
