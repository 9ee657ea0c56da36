// Forwards a connection upgrade (WebSocket): the handshake goes to the upstream on its own connection (not
// the keep-alive pool), its 101 is relayed, then bytes are piped both ways until either side closes. The
// connection is long-lived from the start: a drain closes it so the client reconnects to the new color.

import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import { writeErrorPageToSocket } from './error-pages.js';
import { type ForwardContext, isMeasured, type Target } from './forward-context.js';
import { upstreamRequestHeaders } from './headers.js';
import type { Tracked } from './in-flight.js';

const STRIPPED_ON_REFUSAL = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

function rawHead(res: IncomingMessage, skip: Set<string> | null): string {
  let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string; // rawHeaders is name, value, name, value…
    if (skip?.has(name.toLowerCase())) continue;
    head += `${name}: ${raw[i + 1]}\r\n`;
  }
  return head;
}

export function forwardUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  target: Target,
  ctx: ForwardContext,
): void {
  const { route, upstream } = target;
  const measured = isMeasured(route, req.url ?? '/');
  const record = (status: number) => {
    if (measured) ctx.metrics.request(route.stage, status);
  };
  let upSocket: Socket | undefined;
  const entry: Tracked = {
    kind: 'long',
    close() {
      untrack(); // counted out now: the sockets' close events come a turn later
      outgoing.destroy();
      upSocket?.destroy();
      socket.destroy();
    },
  };
  const untrack = ctx.inFlight.add(upstream.origin, entry);

  const headers = upstreamRequestHeaders(req.headers, {
    clientAddress: socket.remoteAddress,
    host: req.headers.host ?? target.host,
    trusted: ctx.trustsForwarded(socket.remoteAddress),
  });
  headers.connection = 'upgrade';
  if (req.headers.upgrade !== undefined) headers.upgrade = req.headers.upgrade;

  const outgoing = request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    outgoing.destroy();
  }, ctx.limits.upstreamTimeoutMs);

  socket.on('error', () => entry.close()); // the client vanished; its error is not ours to report
  socket.on('close', () => {
    clearTimeout(timer);
    untrack();
    outgoing.destroy();
    upSocket?.destroy();
  });

  outgoing.on('upgrade', (upRes, upgraded, upHead) => {
    clearTimeout(timer);
    upSocket = upgraded;
    record(upRes.statusCode ?? 101);
    if (socket.destroyed) {
      upgraded.destroy();
      return;
    }
    upgraded.on('error', () => socket.destroy()); // the upstream went away: so does the client's connection
    upgraded.on('close', () => socket.destroy());
    socket.setNoDelay(true);
    upgraded.setNoDelay(true);
    // The 101 keeps its Connection/Upgrade headers: they are the handshake.
    socket.write(`${rawHead(upRes, null)}\r\n`);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upgraded.write(head);
    upgraded.pipe(socket);
    socket.pipe(upgraded);
  });

  // The upstream refused the upgrade: relay its answer, then close (the body is sent close-delimited).
  let refused = false;
  outgoing.on('response', (upRes) => {
    clearTimeout(timer);
    refused = true;
    record(upRes.statusCode ?? 502);
    socket.write(`${rawHead(upRes, STRIPPED_ON_REFUSAL)}connection: close\r\n\r\n`);
    upRes.pipe(socket);
  });

  outgoing.on('error', (err) => {
    clearTimeout(timer);
    if (upSocket !== undefined || refused) {
      socket.destroy();
      return;
    }
    const status = timedOut ? 504 : 502;
    ctx.log.warn(
      { host: target.host, stage: route.stage, upstream: upstream.origin, err: err.message, status },
      'proxy upgrade failed',
    );
    record(status);
    writeErrorPageToSocket(socket, status);
  });
  outgoing.end();
}
