// Long-lived streams through the built-in proxy across a deploy, on a real dockerd and registry with the
// testkit's `node` image (/ws greets with its version then echoes, /sse sends `data: <version> <n>` every
// second): the switch closes WebSocket and SSE connections to the old color, a reconnecting client lands on
// the new one, and a WebSocket to another stage is not touched.

import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import { pushTestImage, until } from '@homeport/testkit';
import { describe, expect, it } from 'vitest';
import {
  type DeployHomeport,
  type Engine,
  stageConfig,
  useDeployHomeport,
} from './support/deploy-homeport.js';

let engine: Engine;
let h: DeployHomeport;

useDeployHomeport((started) => {
  ({ engine, h } = started);
});

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'; // RFC 6455 §1.3

/** A client frame (clients must mask, RFC 6455 §5.3). Text frames under 126 bytes are all this test sends. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Text payloads of the complete unmasked server frames in `buffer`, and what is left of it. */
function readServerFrames(buffer: Buffer): { texts: string[]; rest: Buffer } {
  const texts: string[] = [];
  let rest = buffer;
  for (;;) {
    if (rest.length < 2) break;
    let length = (rest[1] ?? 0) & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (rest.length < 4) break;
      length = rest.readUInt16BE(2);
      offset = 4;
    }
    if (rest.length < offset + length) break;
    if (((rest[0] ?? 0) & 0x0f) === 1) texts.push(rest.subarray(offset, offset + length).toString());
    rest = rest.subarray(offset + length);
  }
  return { texts, rest };
}

interface StreamClient {
  /** Every message, in arrival order, tagged with the connection it came on (1, 2, …). */
  messages: { connection: number; text: string }[];
  connections(): number;
  send?(text: string): void;
  stop(): void;
}

/** A WebSocket client on /ws through the proxy that reconnects whenever its connection closes. */
function reconnectingWebSocket(port: number, host: string): StreamClient {
  const messages: StreamClient['messages'] = [];
  let connection = 0;
  let socket: Socket | undefined;
  let stopped = false;
  const connect = () => {
    if (stopped) return;
    const key = randomBytes(16).toString('base64');
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/ws',
      agent: false,
      headers: {
        host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': key,
        'sec-websocket-version': '13',
      },
    });
    // The app writes its greeting right after the 101: it may arrive in the same packet, as `head`.
    req.on('upgrade', (res: IncomingMessage, upgraded: Socket, head: Buffer) => {
      const accept = createHash('sha1').update(`${key}${WS_GUID}`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== accept) {
        upgraded.destroy();
        return;
      }
      connection += 1;
      const mine = connection;
      socket = upgraded;
      let buffer: Buffer = Buffer.alloc(0);
      const received = (chunk: Buffer) => {
        const { texts, rest } = readServerFrames(Buffer.concat([buffer, chunk]));
        buffer = rest;
        for (const text of texts) messages.push({ connection: mine, text });
      };
      received(head);
      upgraded.on('data', received);
      upgraded.on('error', () => upgraded.destroy()); // cut by the proxy: the close below reconnects
      upgraded.on('close', () => setTimeout(connect, 50));
    });
    req.on('response', (res) => {
      res.resume();
      setTimeout(connect, 100); // no upgrade (a 502 while nothing serves): try again
    });
    req.on('error', () => setTimeout(connect, 100));
    req.end();
  };
  connect();
  return {
    messages,
    connections: () => connection,
    send: (text) => socket?.write(clientTextFrame(text)),
    stop() {
      stopped = true;
      socket?.destroy();
    },
  };
}

/** An EventSource-like client on /sse through the proxy that reconnects whenever its stream ends. */
function reconnectingEventSource(port: number, host: string): StreamClient {
  const messages: StreamClient['messages'] = [];
  let connection = 0;
  let current: IncomingMessage | undefined;
  let stopped = false;
  const connect = () => {
    if (stopped) return;
    const req = request(
      { host: '127.0.0.1', port, path: '/sse', agent: false, headers: { host, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          setTimeout(connect, 100);
          return;
        }
        connection += 1;
        const mine = connection;
        current = res;
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(event)?.[1];
            if (data !== undefined) messages.push({ connection: mine, text: data });
          }
        });
        res.on('error', () => undefined); // a cut stream: 'close' reconnects
        res.on('close', () => setTimeout(connect, 50));
      },
    );
    req.on('error', () => setTimeout(connect, 100));
    req.end();
  };
  connect();
  return {
    messages,
    connections: () => connection,
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}

describe('deploy streams', () => {
  it('closes WebSocket and SSE clients of the old color at the switch; they reconnect to the new one; a WebSocket to another stage stays open', async () => {
    const image = `${engine.registry.host}/streams/web`;
    for (const version of ['v1', 'v2'])
      await pushTestImage(engine.registry, {
        repository: 'streams/web',
        tag: version,
        version: `streams-${version}`,
        variant: 'node',
      });
    expect((await h.api('POST', '/projects', { name: 'streams' })).status).toBe(201);
    for (const [name, host] of [
      ['production', 'streams.test'],
      ['other', 'other.streams.test'],
    ] as const) {
      const created = await h.api('POST', '/projects/streams/stages', {
        name,
        config: stageConfig(image, host, { drainTimeoutMs: 5_000 }),
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const queued = await h.api('POST', `/projects/streams/stages/${name}/deploys`, { tag: 'v1' });
      expect((await h.finished(queued.json.id)).status).toBe('succeeded');
    }
    const port = h.deploy.proxyPort() ?? 0;
    const ws = reconnectingWebSocket(port, 'streams.test');
    const sse = reconnectingEventSource(port, 'streams.test');
    const bystander = reconnectingWebSocket(port, 'other.streams.test');
    try {
      await until(
        () =>
          ws.messages.some((m) => m.text === 'version streams-v1') &&
          sse.messages.some((m) => m.text.startsWith('streams-v1 ')) &&
          bystander.messages.some((m) => m.text === 'version streams-v1'),
        15_000,
        50,
      );
      ws.send?.('hello before');
      await until(() => ws.messages.some((m) => m.text === 'hello before'), 5_000, 20);

      const queued = await h.api('POST', '/projects/streams/stages/production/deploys', { tag: 'v2' });
      const deploy = await h.finished(queued.json.id);
      expect(deploy.status, JSON.stringify(deploy)).toBe('succeeded');
      // The two streams to the old color were closed by the drain, not left to time out.
      const drain = deploy.steps.find((s) => s.name === 'drain');
      expect(drain?.message).toMatch(/\b2 WebSocket\/SSE closed/);

      await until(
        () =>
          ws.messages.some((m) => m.text === 'version streams-v2') &&
          sse.messages.some((m) => m.text.startsWith('streams-v2 ')),
        15_000,
        50,
      );
      // Each reconnected once, and everything after the reconnect came from the new color.
      expect(ws.connections()).toBe(2);
      expect(sse.connections()).toBe(2);
      for (const client of [ws, sse]) {
        const first = client.messages.filter((m) => m.connection === 1).map((m) => m.text);
        const second = client.messages.filter((m) => m.connection === 2).map((m) => m.text);
        expect(first.every((t) => t.includes('streams-v1') || t === 'hello before')).toBe(true);
        expect(second.length).toBeGreaterThan(0);
        expect(second.every((t) => t.includes('streams-v2'))).toBe(true);
      }
      ws.send?.('hello after');
      await until(() => ws.messages.some((m) => m.connection === 2 && m.text === 'hello after'), 5_000, 20);

      // The other stage's WebSocket was never closed and still echoes on its first connection.
      expect(bystander.connections()).toBe(1);
      bystander.send?.('still here');
      await until(
        () => bystander.messages.some((m) => m.connection === 1 && m.text === 'still here'),
        5_000,
        20,
      );
    } finally {
      ws.stop();
      sse.stop();
      bystander.stop();
    }
  }, 60_000);
});
