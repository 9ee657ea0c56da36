// Forwards one plain HTTP request: body streamed both ways with backpressure (pipe), never buffered; the
// body limit counted as it streams; 502/504 pages while no response has started, a cut connection after.

import { type ClientRequest, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { sendErrorPage } from './error-pages.js';
import { type ForwardContext, isMeasured, type Target } from './forward-context.js';
import { endToEndHeaders, upstreamRequestHeaders } from './headers.js';
import type { Tracked } from './in-flight.js';

class BodyTooLarge extends Error {}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function isEventStream(res: IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').toLowerCase().startsWith('text/event-stream');
}

export function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  ctx: ForwardContext,
): void {
  const { route, upstream } = target;
  const { limits } = ctx;
  const measured = isMeasured(route, req.url ?? '/');
  const record = (status: number) => {
    if (measured) ctx.metrics.request(route.stage, status);
  };

  // The declared length is checked before a byte of the body is read; a chunked body is counted below.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBodyBytes) {
    record(413);
    sendErrorPage(res, 413, { close: true });
    return;
  }

  let upReq: ClientRequest | undefined;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const entry: Tracked = {
    kind: 'http',
    close() {
      untrack(); // counted out now: the sockets' close events come a turn later
      upReq?.destroy();
      res.destroy();
    },
  };
  const untrack = ctx.inFlight.add(upstream.origin, entry);
  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  // An idle timer while waiting for the upstream: reset by each body chunk it takes, stopped by its headers.
  const armTimer = () => {
    stopTimer();
    timer = setTimeout(() => {
      timedOut = true;
      upReq?.destroy();
    }, limits.upstreamTimeoutMs);
  };

  res.on('close', () => {
    stopTimer();
    untrack();
    // The client went away (or the response ended): nothing more to fetch from the upstream.
    if (!res.writableFinished) upReq?.destroy();
  });

  // A client that aborts mid-upload: the response's close cuts the upstream; the error needs a listener.
  req.on('error', () => upReq?.destroy());

  const headers = upstreamRequestHeaders(req.headers, {
    clientAddress: req.socket.remoteAddress,
    host: req.headers.host ?? target.host,
    trusted: ctx.trustsForwarded(req.socket.remoteAddress),
  });
  const probe = ctx.isProbe(req);
  const withBody = hasBody(req);
  const started = performance.now();

  const dispatch = (attempt: number) => {
    const outgoing = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent: upstream.agent,
    });
    upReq = outgoing;
    armTimer();

    outgoing.on('response', (upRes) => {
      stopTimer();
      if (measured) ctx.metrics.upstreamLatency(route.stage, (performance.now() - started) / 1000);
      const status = upRes.statusCode ?? 502;
      record(status);
      if (isEventStream(upRes)) ctx.inFlight.promote(upstream.origin, entry);
      const responseHeaders = endToEndHeaders(upRes.headers);
      if (probe) {
        responseHeaders['x-homeport-release'] = route.release;
        responseHeaders['x-homeport-color'] = route.color;
      }
      res.writeHead(status, upRes.statusMessage, responseHeaders);
      // A response of unknown length (an event stream, a chunked stream) has its headers sent now: its first
      // bytes may be long in coming. One with a length goes out with its body, in one write, not two.
      if (upRes.headers['content-length'] === undefined) res.flushHeaders();
      upRes.pipe(res);
      // An upstream that dies mid-body must not look like a complete answer: cut the client's connection.
      upRes.on('close', () => {
        if (!upRes.complete) res.destroy();
      });
    });

    // A 101 to a request that asked for no upgrade: Node drops the socket without an 'error' or a
    // 'response', which left the client waiting until it gave up (and a drain waiting for it). A 502.
    outgoing.on('upgrade', (_upRes, upSocket: Socket) => {
      stopTimer();
      upSocket.destroy();
      ctx.log.warn(
        { host: target.host, stage: route.stage, upstream: upstream.origin, status: 502 },
        'proxy upstream switched protocols without being asked to',
      );
      record(502);
      sendErrorPage(res, 502);
    });

    outgoing.on('error', (err: NodeJS.ErrnoException) => {
      stopTimer();
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      // A pooled socket the upstream closed just as we reused it: retried once, only for a safe method
      // without a body (the upstream may have seen the request; running a POST twice is not ours to risk).
      if (
        SAFE_METHODS.has(req.method ?? '') &&
        !withBody &&
        attempt === 0 &&
        outgoing.reusedSocket &&
        err.code === 'ECONNRESET' &&
        !timedOut
      ) {
        dispatch(1);
        return;
      }
      const status = timedOut ? 504 : err instanceof BodyTooLarge ? 413 : 502;
      ctx.log.warn(
        { host: target.host, stage: route.stage, upstream: upstream.origin, err: err.message, status },
        'proxy upstream failed',
      );
      record(status);
      sendErrorPage(res, status, { close: status === 413 });
    });

    if (!withBody) {
      outgoing.end();
      return;
    }
    let received = 0;
    const limiter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        received += chunk.length;
        if (received > limits.maxBodyBytes) {
          callback(new BodyTooLarge('request body over the limit'));
          return;
        }
        armTimer();
        callback(null, chunk);
      },
    });
    limiter.on('error', (err) => {
      req.unpipe(limiter);
      outgoing.destroy(err);
    });
    outgoing.on('finish', armTimer);
    req.pipe(limiter).pipe(outgoing);
  };
  dispatch(0);
}
