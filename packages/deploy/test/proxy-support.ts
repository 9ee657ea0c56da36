// Test support for the proxy suites: upstreams are small node:http servers on loopback port 0, the proxy
// listens on port 0 too, and requests go through a keep-alive agent the test closes.

import {
  type Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@homeport/core';
import { Registry } from 'prom-client';
import { createProxy, type ProxyLimits, type ReverseProxy } from '../src/proxy/index.js';

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
): Promise<TestProxy> {
  const registry = new Registry();
  const proxy = createProxy({
    log: createLogger({ level: 'silent' }),
    metrics: registry,
    limits: { ...DEFAULT_LIMITS, ...limits },
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
