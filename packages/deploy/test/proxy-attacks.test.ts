// Attacks on the built-in proxy from both sides, over raw sockets: a client trying to smuggle a second
// request past it (Content-Length with Transfer-Encoding, two Content-Lengths), and an app answering
// however it likes (a 101 nobody asked for, headers past the parser's limit, Content-Length with
// Transfer-Encoding). Each must end as an error answer or a closed connection, never as bytes of one
// exchange read as another.

import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  startNamedUpstream,
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-support.js';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/**
 * Writes raw bytes to the proxy and reads until it closes the connection (or 3 s pass). No half-close: Node's
 * server takes the client's FIN as an abort of the request in flight.
 */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 3_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}

/** An upstream that records the request lines it sees; `answer` writes its raw response. */
async function upstreamSeeing(answer?: (write: (s: string) => void) => void) {
  const seen: string[] = [];
  const upstream: TestUpstream = await startUpstream((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (!answer) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      const socket = res.socket;
      if (socket) answer((s) => socket.write(s));
      socket?.end();
    });
  });
  opened.push(upstream);
  const p: TestProxy = await startProxy({ upstreamTimeoutMs: 2_000 });
  opened.push(p);
  p.proxy.setRoute('app.example.com', { upstream: upstream.url, stage: 'a/p', release: 'r1', color: 'blue' });
  return { seen, port: p.port };
}

describe('request smuggling through the proxy', () => {
  it('refuses a request with both Content-Length and Transfer-Encoding', async () => {
    const { seen, port } = await upstreamSeeing();
    const answer = await raw(
      port,
      'POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
    );
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect(seen).not.toContain('GET /smuggled');
  });

  it('refuses two different Content-Length headers', async () => {
    const { seen, port } = await upstreamSeeing();
    const answer = await raw(
      port,
      'POST / HTTP/1.1\r\nHost: app.example.com\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n' +
        'GET /smuggled HTTP/1.1\r\nHost: app.example.com\r\n\r\n',
    );
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
    expect(seen).toEqual([]);
  });
});

describe('hop-by-hop abuse', () => {
  it('keeps the Host header when the client names it in Connection, so the app never sees a loopback Host', async () => {
    const upstream = await startNamedUpstream('app');
    opened.push(upstream);
    const p = await startProxy();
    opened.push(p);
    p.proxy.setRoute('app.example.com', {
      upstream: upstream.url,
      stage: 'a/p',
      release: 'r1',
      color: 'blue',
    });
    const answer = await raw(
      p.port,
      'GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close, host, content-length\r\n\r\n',
    );
    expect(answer.slice(0, 40)).toMatch(/^HTTP\/1.1 200/);
    // The upstream echoes the headers it got as JSON (in a chunked body: read the field, not the document).
    expect(/"host":"([^"]*)"/.exec(answer)?.[1]).toBe('app.example.com');
  });
});

describe('an app answering however it likes', () => {
  it('gets a 502 for a 101 to a request that asked for no upgrade, and the client connection is not handed over', async () => {
    const { port } = await upstreamSeeing((write) =>
      write('HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: evil\r\n\r\nRAW-BYTES'),
    );
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n');
    expect(answer.slice(0, 40)).toMatch(/^HTTP\/1.1 502/);
    expect(answer).not.toContain('RAW-BYTES');
  });

  it('gets a 502 for response headers past the parser limit', async () => {
    const { port } = await upstreamSeeing((write) =>
      write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 2\r\n\r\nok`),
    );
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n');
    expect(answer.slice(0, 40)).toMatch(/^HTTP\/1.1 502/);
  });

  it('gets a 502 for a response with both Content-Length and Transfer-Encoding', async () => {
    const { port } = await upstreamSeeing((write) =>
      write(
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled',
      ),
    );
    const answer = await raw(port, 'GET / HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n');
    expect(answer.slice(0, 40)).toMatch(/^HTTP\/1.1 502/);
    expect(answer).not.toContain('smuggled');
  });
});
