// PROPFIND Depth 1 and the HTML listing of a large folder are streamed: parallel listings to clients that read
// slowly hold a bounded amount of memory, and other requests are served while they run.

import { closeSync, mkdirSync, openSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

const FILES = 20_000;
const PARALLEL = 8;
let server: DavTestServer;
const listings: ServerResponse[] = [];
const pages: ServerResponse[] = [];
/** Bytes each listing page handed to its socket so far (res.write and res.end, counted as they are called). */
const handed = new WeakMap<ServerResponse, number>();

function countHandedBytes(res: ServerResponse): void {
  const count = (chunk: unknown) => {
    if (typeof chunk === 'string' || Buffer.isBuffer(chunk))
      handed.set(res, (handed.get(res) ?? 0) + Buffer.byteLength(chunk));
  };
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  // Instrumentation only: the same calls go through, their sizes noted.
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    count(chunk);
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    count(chunk);
    return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as typeof res.end;
}

// Live memory is what is measured, not garbage not yet collected: the test calls the collector itself.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

beforeAll(async () => {
  server = await startDavServer({
    onRequest: (req, res) => {
      if (req.method === 'PROPFIND') listings.push(res);
      if (req.method === 'GET') {
        pages.push(res);
        countHandedBytes(res);
      }
    },
  });
  // Names as cameras write them; each <D:response> of an allprop is then about 600 bytes.
  for (let i = 0; i < FILES; i += 1) closeSync(openSync(join(server.root, `IMG_${i}.jpg`), 'w'));
}, 120_000);

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

/** Starts an allprop PROPFIND and resolves with its response, paused: the client reads nothing yet. */
const pausedPropfind = () => paused('PROPFIND');

/** Starts a request on the folder and resolves with its response, paused: the client reads nothing yet. */
function paused(method: 'PROPFIND' | 'GET', path = PREFIX): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: { Depth: '1' },
        agent: false,
      },
      (res) => {
        res.pause();
        resolve(res);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function drain(res: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    res.on('end', () => resolve(bytes));
    res.on('error', reject);
    res.resume();
  });
}

/** Live heap and external memory (Buffers), after a full collection. */
const live = () => {
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
};

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PROPFIND Depth 1 of a large folder', () => {
  it('holds bounded memory for parallel listings to clients that do not read', async () => {
    // Warm up (code paths, caches), then take the baseline.
    await drain(await pausedPropfind());
    listings.length = 0;
    const before = live();
    const responses = await Promise.all(Array.from({ length: PARALLEL }, pausedPropfind));
    // Every listing is now waiting for its client to read (or, built whole, sits in its socket's buffer).
    await until(
      'every listing to wait for its client',
      () =>
        listings.length === PARALLEL &&
        listings.every((res) => res.writableNeedDrain || (res.writableEnded && !res.writableFinished)),
    );
    const growth = live() - before;
    // While every client is stalled, other requests still get answers.
    expect((await send(server, 'OPTIONS', PREFIX)).status).toBe(200);
    const sizes = await Promise.all(responses.map(drain));
    const bodyBytes = sizes[0] ?? 0;
    for (const size of sizes) expect(size).toBe(bodyBytes);
    expect(bodyBytes).toBeGreaterThan(FILES * 500);
    console.log(
      `${PARALLEL} × ${bodyBytes} B multistatus to stalled clients: live memory +${(growth / 1048576).toFixed(1)} MiB`,
    );
    // Built in memory, the bodies alone take PARALLEL × bodyBytes; streamed, a batch each plus the names.
    expect(growth).toBeLessThan((PARALLEL * bodyBytes) / 4);
  }, 120_000);
});

describe('HTML listing of a large folder', () => {
  // Long names (as some music libraries have): a page of several megabytes, more than loopback's socket
  // buffers take, so a client that does not read holds the server's writes back.
  const LONG = `${PREFIX}long/`;
  beforeAll(() => {
    mkdirSync(join(server.root, 'long'));
    for (let i = 0; i < FILES; i += 1)
      closeSync(openSync(join(server.root, 'long', `${'Track name '.repeat(20)}${i}.flac`), 'w'));
  }, 120_000);

  it('holds bounded memory for parallel pages to clients that do not read', async () => {
    const whole = await drain(await paused('GET', LONG));
    pages.length = 0;
    const before = live();
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => paused('GET', LONG)));
    await until(
      'every page to wait for its client',
      () =>
        pages.length === PARALLEL &&
        pages.every((res) => res.writableNeedDrain || (res.writableEnded && !res.writableFinished)),
    );
    const growth = live() - before;
    // A page to a client that does not read stops being rendered: built whole, it was handed over at once.
    const stalledAt = pages.map((res) => handed.get(res) ?? 0);
    expect((await send(server, 'OPTIONS', PREFIX)).status).toBe(200);
    const sizes = await Promise.all(responses.map(drain));
    for (const size of sizes) expect(size).toBe(whole);
    for (const bytes of stalledAt) expect(bytes).toBeLessThan(whole / 2);
    expect(whole).toBeGreaterThan(FILES * 400);
    console.log(
      `${PARALLEL} × ${whole} B listing pages to stalled clients: rendered ${stalledAt.join(', ')} B, live memory +${(growth / 1048576).toFixed(1)} MiB`,
    );
    // What stays is a batch each plus the folder's names, which sorting the page needs (here long names:
    // about half a page each).
    expect(growth).toBeLessThan(PARALLEL * whole);
  }, 120_000);

  it('lists every member once, folders first', async () => {
    mkdirSync(join(server.root, 'zz-folder'));
    const page = await send(server, 'GET', PREFIX);
    const links = [...page.text.matchAll(/<a href="([^"]+)">/g)].map((match) => match[1] ?? '');
    expect(links.slice(0, 2)).toEqual([`${PREFIX}long/`, `${PREFIX}zz-folder/`]);
    expect(new Set(links).size).toBe(FILES + 2);
    expect(page.headers['transfer-encoding']).toBe('chunked');
  }, 60_000);
});
