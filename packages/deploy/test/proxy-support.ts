// Test support for the proxy suites: upstreams are small node:http servers on loopback port 0, the proxy
// listens on port 0 too, and requests go through a keep-alive agent the test closes.

import { createHash, randomBytes } from 'node:crypto';
import {
  type Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createLogger } from '@homeport/core';
import { Registry } from 'prom-client';
import { createProxy, type ProxyLimits, type ProxyOptions, type ReverseProxy } from '../src/proxy/index.js';

export interface TestUpstream {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startUpstream(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestUpstream> {
  const server = createServer(handler);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo; // listening on TCP: an AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** An upstream that answers every request with its name and what it was sent. */
export function startNamedUpstream(name: string): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(JSON.stringify({ name, url: req.url, headers: req.headers }));
    });
  });
}

export interface TestProxy {
  proxy: ReverseProxy;
  port: number;
  registry: Registry;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: ProxyLimits = { maxBodyBytes: 128 << 20, upstreamTimeoutMs: 5_000 };

export async function startProxy(
  limits: Partial<ProxyLimits> = {},
  before?: (proxy: ReverseProxy) => void,
  extra: Pick<ProxyOptions, 'probeToken' | 'trustForwardedFrom'> = {},
): Promise<TestProxy> {
  const registry = new Registry();
  const proxy = createProxy({
    log: createLogger({ level: 'silent' }),
    metrics: registry,
    limits: { ...DEFAULT_LIMITS, ...limits },
    ...extra,
  });
  before?.(proxy);
  const port = await proxy.listen('127.0.0.1', 0);
  return { proxy, port, registry, close: () => proxy.close() };
}

export interface SimpleResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request through the proxy; `host` is the Host header sent. */
export function send(
  port: number,
  host: string,
  options: {
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: Agent;
  } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The Sec-WebSocket-Accept value for a key (RFC 6455 4.2.2). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** Adds a WebSocket-style upgrade handler to an upstream: it completes the handshake, then echoes bytes prefixed with its name. */
export function echoUpgrades(upstream: TestUpstream, name: string): { sockets: Socket[] } {
  const sockets: Socket[] = [];
  upstream.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    sockets.push(socket);
    const key = String(req.headers['sec-websocket-key']);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${websocketAccept(key)}\r\nx-upstream: ${name}\r\n\r\n`,
    );
    socket.on('data', (chunk: Buffer) => socket.write(`${name}:${chunk.toString()}`));
    socket.on('error', () => socket.destroy()); // the proxy cut it; nothing to report
    socket.on('end', () => socket.end()); // http servers allow half-open sockets: close ours when the proxy closes its side
  });
  return { sockets };
}

export interface OpenUpgrade {
  socket: Socket;
  headers: IncomingMessage['headers'];
  status: number;
  /** Resolves with the next data the socket receives. */
  next(): Promise<string>;
  closed: Promise<void>;
}

/** Opens a WebSocket handshake through the proxy and returns the upgraded socket. */
export function openUpgrade(port: number, host: string, path = '/ws'): Promise<OpenUpgrade> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': key,
        'sec-websocket-version': '13',
      },
      agent: false,
    });
    req.on('upgrade', (res, socket) => {
      if (res.headers['sec-websocket-accept'] !== websocketAccept(key)) reject(new Error('bad accept'));
      const closed = new Promise<void>((done) => socket.on('close', () => done()));
      socket.on('error', () => socket.destroy()); // closed by the proxy: the test looks at `closed`
      resolve({
        socket,
        headers: res.headers,
        status: res.statusCode ?? 0,
        next: () => new Promise((got) => socket.once('data', (c: Buffer) => got(c.toString()))),
        closed,
      });
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}

export interface OpenEventStream {
  res: IncomingMessage;
  events: string[];
  ended: Promise<void>;
}

/** Opens an event stream through the proxy; resolves once headers arrived, events accumulate as they come. */
export function openEventStream(port: number, host: string, path = '/events'): Promise<OpenEventStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host, accept: 'text/event-stream' }, agent: false },
      (res) => {
        const events: string[] = [];
        let buffer = '';
        res.on('data', (c: Buffer) => {
          buffer += c.toString();
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            events.push(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
          }
        });
        const ended = new Promise<void>((done) => {
          res.on('close', () => done());
          res.on('error', () => done()); // a cut stream counts as ended: that is what the client reconnects on
        });
        resolve({ res, events, ended });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
