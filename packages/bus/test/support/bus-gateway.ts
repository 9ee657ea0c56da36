// A Homeport with accounts and the bus (managed nats-server, gateway on) listening on a free loopback port, for
// the gateway tests and bench/bus: accounts signed in with bearer tokens, JSON calls, and room streams read
// over real HTTP as a browser reads them (fetch + an SSE parser), each event stamped with when it arrived.

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
  /** The first event (from index `from`) that `match` accepts, polling until `timeoutMs`. */
  waitFor(
    match: (event: SseEventRecord) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<SseEventRecord>;
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
  /** Opens a room stream as the browser does. */
  stream(token: string | undefined, roomId: string, lastEventId?: string): Promise<RoomStreamClient>;
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
    async stream(token, roomId, lastEventId) {
      const client = await openStream(`${base}/rooms/${roomId}/stream`, {
        accept: 'text/event-stream',
        ...auth(token),
        ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      });
      streams.push(client);
      return client;
    },
    async close() {
      for (const client of streams) client.close();
      await t.close();
    },
  };
}

/** Reads an SSE response with fetch, recording every event (comments and heartbeats skipped). */
export async function openStream(url: string, headers: Record<string, string>): Promise<RoomStreamClient> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEventRecord[] = [];
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  if (response.ok && response.body) {
    void (async () => {
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();
      let buffer = '';
      let type = '';
      let id: string | undefined;
      let data: string[] = [];
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end = buffer.indexOf('\n');
          while (end !== -1) {
            const line = buffer.slice(0, end);
            buffer = buffer.slice(end + 1);
            if (line === '') {
              if (data.length > 0)
                events.push({ type: type || 'message', id, data: data.join('\n'), at: performance.now() });
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
        }
      } catch {
        // Aborted here or cut by the server: either way the stream has ended.
      }
      finish();
    })();
  } else {
    await response.text().catch(() => undefined);
    finish();
  }
  return {
    status: response.status,
    headers: response.headers,
    events,
    ended,
    async waitFor(match, timeoutMs = 10_000, from = 0) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = events.slice(from).find(match);
        if (found) return found;
        if (performance.now() > deadline)
          throw new Error(`no matching event in ${timeoutMs} ms: ${JSON.stringify(events)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => controller.abort(),
  };
}
