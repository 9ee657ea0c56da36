// Security headers sent with every response, computed once: CSP for the SPA, no sniffing, no framing.
// API answers (JSON, event streams) get a shorter set: the headers that only mean something for a page a
// browser renders (referrer policy, opener isolation, Flash/PDF policy files) are left off them, because
// every header is parsed, validated and sent again on every request of the busiest routes.

/**
 * The SPA loads only its own scripts; Mantine sets inline styles, hence style-src 'unsafe-inline'. Its files
 * pages talk to storage agents directly (files never pass through the control plane), on each node's own
 * address: requests, images and media may go to those origins — the nodes the control plane knows, given
 * by the NAS module (`app.pageOrigins`) — and nowhere else, so a script injected into a page could not
 * send what it reads to a server of its choosing. A PDF preview is an <object> of a blob the page made
 * itself (blob: URLs come only from the page's own scripts).
 */
export function pageContentSecurityPolicy(agentOrigins: readonly string[]): string {
  const agents = agentOrigins.map((origin) => ` ${origin}`).join('');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data:${agents}`,
    `media-src 'self'${agents}`,
    "font-src 'self' data:",
    `connect-src 'self'${agents}`,
    'object-src blob:',
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** An http(s) origin as CSP takes it (`scheme://host[:port]`), or undefined for anything else. */
export function cspOrigin(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return parsed.origin;
}

/** An API answer is data: if a browser ever renders one as a page, nothing in it may load or run. */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

const HSTS = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' };

/** Headers for pages and everything outside /api (the SPA, its assets, /health, /metrics…). */
export function securityHeaders(
  https: boolean,
  agentOrigins: readonly string[] = [],
): Record<string, string> {
  return {
    'content-security-policy': pageContentSecurityPolicy(agentOrigins),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'x-permitted-cross-domain-policies': 'none',
    ...(https ? HSTS : {}),
  };
}

/**
 * Headers for API routes (matched route under /api): no sniffing, nothing runs or frames if rendered, and
 * no cross-origin embedding of the answer (CORP), as the OWASP REST security cheat sheet lists. Framing is
 * refused by CSP frame-ancestors, which every browser Homeport's UI supports honours; X-Frame-Options
 * stays on pages for older ones.
 */
export function apiSecurityHeaders(https: boolean): Record<string, string> {
  return {
    'content-security-policy': API_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'same-origin',
    ...(https ? HSTS : {}),
  };
}
