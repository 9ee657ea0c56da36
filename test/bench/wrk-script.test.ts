// bench/lib/wrk.ts: the Lua script it writes must reach wrk intact. wrk runs plain GETs when its script does
// not load (it only prints the error), which once turned a login flood into a flood of 404s whenever the
// random admin password began with a digit: `\34` + `1` was read by Lua as the escape `\341`.

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tempDir } from '@homeport/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runWrk } from '../../bench/lib/wrk.js';

let server: http.Server | undefined;
afterEach(() => {
  server?.close();
  server?.closeAllConnections();
  server = undefined;
});

describe('wrk scripts', () => {
  it('send exactly the body and method given, whatever characters follow an escape', async () => {
    const seen = new Set<string>();
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen.add(
          `${request.method} ${request.headers['content-type']} ${Buffer.concat(chunks).toString('utf8')}`,
        );
        response.end('ok');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // A quote before digits, a backslash before a digit, a newline, and text past ASCII.
    const body = JSON.stringify({ username: 'admin', password: '1pk"9\\7\nrné' });
    const result = await runWrk({
      name: 'body-check',
      url: `http://127.0.0.1:${port}/login`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      threads: 1,
      connections: 1,
      durationSec: 1,
      countStatuses: true,
      workDir: tempDir('wrk-script-'),
    });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.statuses['200']).toBe(result.requests);
    expect([...seen]).toEqual([`POST application/json ${body}`]);
  });
});
