// Header rules between client and upstream: hop-by-hop headers never cross the proxy (RFC 9110 7.6.1), and
// the X-Forwarded-* headers are the proxy's own, never the client's (a client could claim any address).

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
  if (forwarded.clientAddress !== undefined) out['x-forwarded-for'] = forwarded.clientAddress;
  out['x-forwarded-proto'] = 'http';
  out['x-forwarded-host'] = forwarded.host;
  return out;
}
