// PROPFIND Depth 1 of a large folder streams its multistatus: parallel listings to clients that read slowly
// hold a bounded amount of memory, and other requests are served while they run.

import { closeSync, openSync } from 'node:fs';
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

// Live memory is what is measured, not garbage not yet collected: the test calls the collector itself.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

beforeAll(async () => {
  server = await startDavServer({
    onRequest: (req, res) => {
      if (req.method === 'PROPFIND') listings.push(res);
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
function pausedPropfind(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'PROPFIND',
        path: PREFIX,
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
