// Header rules between client and upstream: hop-by-hop headers never cross the proxy (RFC 9110 7.6.1), and
// the X-Forwarded-* headers are the proxy's own, never a client's (a client could claim any address) — only
// the TLS edge configured in front may state them.

import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

// Headers that carry the client's identity as seen by some proxy: only this proxy may set them.
const FORWARDING = new Set([
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
]);

// Headers a Connection option may not remove: without Host, Node would send the upstream's own
// `127.0.0.1:<port>` (an app trusting a loopback Host would take the request for a local one); without
// Content-Length, the framing would change under the app.
const NOT_HOP_BY_HOP = new Set(['host', 'content-length']);

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const tokens = new Set<string>();
  const value = headers.connection;
  if (value === undefined) return tokens;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (!NOT_HOP_BY_HOP.has(name)) tokens.add(name);
  }
  return tokens;
}

/** Copies headers without the hop-by-hop ones, those the Connection header names included. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ForwardedFor {
  clientAddress: string | undefined;
  host: string;
  /** The peer is the TLS edge in front (ProxyOptions.trustForwardedFrom): its X-Forwarded-* are kept. */
  trusted: boolean;
}

const single = (value: string | string[] | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** What a trusted edge says of its client, each value checked for its shape (anything else is dropped). */
function trustedClaims(headers: IncomingHttpHeaders): { for?: string; proto?: string; host?: string } {
  const claims: { for?: string; proto?: string; host?: string } = {};
  const chain = single(headers['x-forwarded-for']);
  if (chain !== undefined && /^[0-9A-Fa-f.:, ]{1,512}$/.test(chain)) claims.for = chain.trim();
  const proto = single(headers['x-forwarded-proto'])?.trim().toLowerCase();
  if (proto === 'http' || proto === 'https') claims.proto = proto;
  const host = single(headers['x-forwarded-host'])?.trim();
  if (host !== undefined && /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host))
    claims.host = host;
  return claims;
}

/** The request headers for the upstream: end-to-end ones, the client's forwarding claims replaced by ours. */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  forwarded: ForwardedFor,
): OutgoingHttpHeaders {
  const out = endToEndHeaders(headers);
  for (const name of FORWARDING) delete out[name];
  // The deployer's probe token is between it and the proxy (ProxyOptions.probeToken), never the app's.
  delete out['x-homeport-probe'];
  // `TE: trailers` is end-to-end in meaning (gRPC needs it) though the header itself is hop-by-hop.
  const te = headers.te;
  if (typeof te === 'string' && /(^|,)\s*trailers\s*(,|$)/i.test(te)) out.te = 'trailers';
  // From the TLS edge in front (a peer named in trustForwardedFrom), what it says of the client is kept —
  // the scheme the client used above all, or apps behind Caddy would build http:// links — and the edge's own
  // address is appended to the client chain. From anyone else, only what this proxy sees.
  const claimed = forwarded.trusted ? trustedClaims(headers) : undefined;
  const peer = forwarded.clientAddress;
  const chain = [claimed?.for, peer].filter((part): part is string => part !== undefined && part !== '');
  if (chain.length > 0) out['x-forwarded-for'] = chain.join(', ');
  out['x-forwarded-proto'] = claimed?.proto ?? 'http';
  out['x-forwarded-host'] = claimed?.host ?? forwarded.host;
  return out;
}
