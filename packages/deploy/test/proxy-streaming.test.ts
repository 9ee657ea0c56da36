// Bodies stream through the built-in proxy both ways with backpressure (64 MiB never held in memory), and
// WebSocket and Server-Sent Events pass through unbuffered.

import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  echoUpgrades,
  openEventStream,
  openUpgrade,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-support.js';

const TOTAL = 64 << 20;
const CHUNK = 64 << 10;
// What may sit in socket buffers and stream queues between the two ends on loopback (kernel buffers grow to
// a few MiB per socket, four sockets in the chain): far below the 64 MiB a buffering proxy would hold.
const IN_TRANSIT_BOUND = 40 << 20;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setUp(app: TestUpstream): Promise<TestProxy> {
  cleanups.push(app.close);
  const p = await startProxy();
  cleanups.push(p.close);
  p.proxy.setRoute('files.example.com', {
    upstream: app.url,
    stage: 'files/production',
    release: 'r1',
    color: 'blue',
  });
  return p;
}

/**
 * Polls until a byte count stops moving (five reads 50 ms apart agree) or `done()` holds: a buffering proxy
 * would let the writer run to the end, a streaming one stalls it at whatever the buffers in between hold.
 */
async function settled(count: () => number, done: () => boolean): Promise<void> {
  const seen: number[] = [];
  await vi.waitFor(
    () => {
      seen.push(count());
      const last = seen.slice(-5);
      expect(done() || (last.length === 5 && last.every((n) => n === last[0]))).toBe(true);
    },
    { timeout: 20_000, interval: 50 },
  );
}

function block(i: number): Buffer {
  return Buffer.alloc(CHUNK, i % 251);
}

describe('built-in proxy streaming', () => {
  it('streams a 64 MiB download with backpressure: a paused client stops the upstream', async () => {
    const state = { written: 0, waitingForDrain: false, done: false };
    const expected = createHash('sha256');
    for (let i = 0; i < TOTAL / CHUNK; i++) expected.update(block(i));
    const app = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': TOTAL });
      let i = 0;
      const pump = () => {
        state.waitingForDrain = false;
        while (i < TOTAL / CHUNK) {
          const ok = res.write(block(i));
          state.written += CHUNK;
          i++;
          if (!ok) {
            state.waitingForDrain = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end(() => {
          state.done = true;
        });
      };
      pump();
    });
    const { port } = await setUp(app);

    let received = 0;
    const hash = createHash('sha256');
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/big', headers: { host: 'files.example.com' }, agent: false },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    res.pause();
    // The client reads nothing: the upstream must end up blocked with most of the body still unwritten.
    await settled(
      () => state.written,
      () => state.done,
    );
    expect(state.waitingForDrain).toBe(true);
    expect(state.written).toBeLessThan(IN_TRANSIT_BOUND);
    expect(state.done).toBe(false);
    const stalledAt = state.written;

    await new Promise<void>((done, reject) => {
      res.on('data', (c: Buffer) => {
        received += c.length;
        hash.update(c);
        expect(state.written - received).toBeLessThan(IN_TRANSIT_BOUND);
      });
      res.on('end', done);
      res.on('error', reject);
      res.resume();
    });
    expect(received).toBe(TOTAL);
    // For the record: how much was in transit at most while the client was paused.
    console.info(`download: upstream stalled after ${(stalledAt / 2 ** 20).toFixed(1)} MiB of 64 MiB`);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });

  it('streams a 64 MiB upload with backpressure: an upstream that does not read stops the client', async () => {
    const upstreamState = { received: 0, started: false };
    let resumeUpstream: () => void = () => {};
    const app = await startUpstream((req, res) => {
      upstreamState.started = true;
      req.pause();
      const hash = createHash('sha256');
      resumeUpstream = () => {
        req.on('data', (c: Buffer) => {
          upstreamState.received += c.length;
          hash.update(c);
        });
        req.on('end', () =>
          res.end(JSON.stringify({ bytes: upstreamState.received, sha256: hash.digest('hex') })),
        );
        req.resume();
      };
    });
    const { port } = await setUp(app);

    const expected = createHash('sha256');
    let sent = 0;
    let clientBlocked = false;
    let body = '';
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: '/up',
      headers: { host: 'files.example.com', 'content-length': String(TOTAL) },
      agent: false,
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    let i = 0;
    const pump = () => {
      clientBlocked = false;
      while (i < TOTAL / CHUNK) {
        const chunk = block(i++);
        expected.update(chunk);
        sent += CHUNK;
        if (!req.write(chunk)) {
          clientBlocked = true;
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();

    await vi.waitFor(() => expect(upstreamState.started).toBe(true), { timeout: 10_000, interval: 20 });
    await settled(
      () => sent,
      () => sent === TOTAL,
    );
    expect(clientBlocked).toBe(true);
    expect(sent).toBeLessThan(IN_TRANSIT_BOUND);
    expect(upstreamState.received).toBe(0);
    console.info(`upload: client stalled after ${(sent / 2 ** 20).toFixed(1)} MiB of 64 MiB`);

    resumeUpstream();
    expect(await answered).toBe(200);
    expect(JSON.parse(body)).toEqual({ bytes: TOTAL, sha256: expected.digest('hex') });
  });

  it('passes Server-Sent Events through as they are sent, not when the response ends', async () => {
    let send: (data: string) => void = () => {};
    const app = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      send = (data) => res.write(`data: ${data}\n\n`);
      send('hello');
    });
    const { port, proxy } = await setUp(app);
    const stream = await openEventStream(port, 'files.example.com');
    expect(stream.res.headers['content-type']).toBe('text/event-stream');
    await vi.waitFor(() => expect(stream.events).toEqual(['data: hello']), { timeout: 5_000, interval: 10 });
    send('second');
    await vi.waitFor(() => expect(stream.events).toEqual(['data: hello', 'data: second']), {
      timeout: 5_000,
      interval: 10,
    });
    expect(proxy.inFlight(app.url)).toEqual({ http: 0, longLived: 1 });
  });

  it('relays a WebSocket handshake and its bytes both ways', async () => {
    const app = await startUpstream((_req, res) => res.end('plain'));
    const { sockets } = echoUpgrades(app, 'blue');
    const { port, proxy } = await setUp(app);
    const ws = await openUpgrade(port, 'files.example.com');
    expect(ws.status).toBe(101);
    expect(ws.headers['x-upstream']).toBe('blue');
    const reply = ws.next();
    ws.socket.write('ping');
    expect(await reply).toBe('blue:ping');
    expect(proxy.inFlight(app.url)).toEqual({ http: 0, longLived: 1 });
    // The upstream closing its side closes the client's.
    sockets[0]?.destroy();
    await ws.closed;
    await vi.waitFor(() => expect(proxy.inFlight(app.url)).toEqual({ http: 0, longLived: 0 }), {
      timeout: 5_000,
      interval: 10,
    });
  });

  it('answers a WebSocket handshake for an unknown host with the 404 page', async () => {
    const app = await startUpstream((_req, res) => res.end('plain'));
    const { port } = await setUp(app);
    await expect(openUpgrade(port, 'other.example.com')).rejects.toThrow('no upgrade: 404');
  });
});
