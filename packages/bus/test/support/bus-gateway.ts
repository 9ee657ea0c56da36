// A Homeport with accounts and the bus (managed nats-server, gateway on) listening on a free loopback port, for
// the gateway tests and bench/bus: accounts signed in with bearer tokens, JSON calls, and room streams read
// over real HTTP (an SSE parser on node:http), each event stamped with when it arrived.

import { request as httpRequest } from 'node:http';
import { ADMIN_PASSWORD, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import type { GatewayLimits } from '../../src/gateway/gateway.js';
import { BUS, type BusApi, createBusModule } from '../../src/index.js';

export interface GatewayAccountSession {
  userId: string;
  username: string;
  token: string;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the fields they assert on one by one
  json: any;
}

export interface SseEventRecord {
  type: string;
  id: string | undefined;
  data: string;
  /** performance.now() when the event was parsed. */
  at: number;
}

export interface RoomStreamClient {
  status: number;
  headers: Headers;
  events: SseEventRecord[];
  /** Resolves when the server ends the stream (or it is closed here). */
  ended: Promise<void>;
  /** The first event (from index `from`) that `match` accepts, within `timeoutMs`. */
  waitFor(
    match: (event: SseEventRecord) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<SseEventRecord>;
  /** Stops reading (a client that cannot keep up). */
  pause(): void;
  close(): void;
}

export interface GatewayHomeport {
  t: TestHomeport;
  url: string;
  bus: BusApi;
  /** The first admin's session token. */
  admin: string;
  /** A new Homeport account (made by the first admin), signed in. */
  account(username: string): Promise<GatewayAccountSession>;
  /** A JSON call under /api/v1/bus/gateway; `token` undefined sends no credential. */
  api(token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Opens a room stream as the browser does (from `localAddress`, one of 127.0.0.x, when given). */
  stream(
    token: string | undefined,
    roomId: string,
    lastEventId?: string,
    options?: { localAddress?: string },
  ): Promise<RoomStreamClient>;
  close(): Promise<void>;
}

export async function startGatewayHomeport(limits: Partial<GatewayLimits> = {}): Promise<GatewayHomeport> {
  const t = await buildTestHomeport({
    modules: [createBusModule({ gateway: limits })],
    env: { HOMEPORT_PORT: '0' },
  });
  const url = await t.homeport.listen();
  const bus = t.homeport.requireModule(BUS);
  const admin = await t.login();
  const streams: RoomStreamClient[] = [];
  const base = `${url}/api/v1/bus/gateway`;
  const auth = (token: string | undefined): Record<string, string> =>
    token === undefined ? {} : { authorization: `Bearer ${token}` };

  return {
    t,
    url,
    bus,
    admin,
    async account(username) {
      const password = `${ADMIN_PASSWORD}-${username}`;
      const made = await fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { ...auth(admin), 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (made.status !== 201) throw new Error(`creating ${username}: ${made.status} ${await made.text()}`);
      const { id } = (await made.json()) as { id: string };
      return { userId: id, username, token: await t.login(username, password) };
    },
    async api(token, method, path, body) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...auth(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let json: unknown = text;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        // Not JSON: the text is what the test sees.
      }
      return { status: response.status, headers: response.headers, json };
    },
    async stream(token, roomId, lastEventId, options = {}) {
      const client = await openStream(
        `${base}/rooms/${roomId}/stream`,
        {
          accept: 'text/event-stream',
          ...auth(token),
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        options,
      );
      streams.push(client);
      return client;
    },
    async close() {
      for (const client of streams) client.close();
      await t.close();
    },
  };
}

interface Waiter {
  match: (event: SseEventRecord) => boolean;
  found: (event: SseEventRecord) => void;
}

/**
 * Reads an SSE response over node:http, recording every event (comments and heartbeats skipped).
 * `localAddress` picks the loopback address the connection comes from: the server caps connections per
 * client address (64), so many streams from one machine spread over 127.0.0.x.
 */
export function openStream(
  url: string,
  headers: Record<string, string>,
  options: { localAddress?: string } = {},
): Promise<RoomStreamClient> {
  return new Promise((resolve, reject) => {
    const events: SseEventRecord[] = [];
    const waiters = new Set<Waiter>();
    let finish: () => void = () => undefined;
    const ended = new Promise<void>((done) => {
      finish = done;
    });
    const request = httpRequest(url, {
      headers,
      // A connection of its own, never a pooled one the server may be closing (a stream holds it anyway).
      agent: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    request.on('error', (error) => {
      finish();
      reject(error);
    });
    // The connection closed: also when a paused response will never emit its own end.
    request.on('close', () => finish());
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers))
        if (typeof value === 'string') responseHeaders.set(name, value);
      let buffer = '';
      let type = '';
      let id: string | undefined;
      let data: string[] = [];
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n');
        while (end !== -1) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (line === '') {
            if (data.length > 0) {
              const event = { type: type || 'message', id, data: data.join('\n'), at: performance.now() };
              events.push(event);
              for (const waiter of [...waiters]) if (waiter.match(event)) waiter.found(event);
            }
            type = '';
            data = [];
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const text = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') type = text;
            else if (field === 'data') data.push(text);
            else if (field === 'id') id = text;
          }
          end = buffer.indexOf('\n');
        }
      });
      response.on('close', finish);
      response.on('error', finish);
      resolve({
        status,
        headers: responseHeaders,
        events,
        ended,
        waitFor(match, timeoutMs = 10_000, from = 0) {
          const seen = events.slice(from).find(match);
          if (seen) return Promise.resolve(seen);
          // Woken by the parser as events arrive (no polling: a benchmark holds a thousand of these).
          return new Promise((found, fail) => {
            const waiter: Waiter = {
              match,
              found: (event) => {
                clearTimeout(timer);
                waiters.delete(waiter);
                found(event);
              },
            };
            const timer = setTimeout(() => {
              waiters.delete(waiter);
              fail(new Error(`no matching event in ${timeoutMs} ms: ${JSON.stringify(events)}`));
            }, timeoutMs);
            waiters.add(waiter);
          });
        },
        pause: () => response.pause(),
        close: () => request.destroy(),
      });
    });
    request.end();
  });
}
