// XML request bodies: malformed, DTD tricks, oversized, wrong encoding; each refused before anything changes.

import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { removeTempDirs } from '@homeport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DavTestServer, PREFIX, send, startDavServer } from './dav-server.js';

let server: DavTestServer;

beforeAll(async () => {
  server = await startDavServer({ handler: { maxXmlBytes: 64 * 1024 } });
  writeFileSync(join(server.root, 'doc.txt'), 'doc');
});

afterAll(async () => {
  await server.close();
  removeTempDirs();
});

const methods: [string, Record<string, string>][] = [
  ['PROPFIND', { Depth: '0' }],
  ['PROPPATCH', {}],
  ['LOCK', {}],
];

describe('malformed XML bodies', () => {
  const bodies: [string, string][] = [
    ['an unclosed element', '<D:propfind xmlns:D="DAV:"><D:prop>'],
    ['text that is not XML', 'hello'],
    ['an undeclared prefix', '<D:propfind><D:allprop/></D:propfind>'],
    [
      'an empty namespace declaration for a prefix (litmus propfind_invalid2)',
      '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
    ],
    [
      'an internal entity (billion laughs needs one)',
      '<!DOCTYPE d [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:">&a;</D:propfind>',
    ],
    [
      'an external entity',
      '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><D:propfind xmlns:D="DAV:">&x;</D:propfind>',
    ],
    ['nesting 1000 deep', `${'<a>'.repeat(1000)}${'</a>'.repeat(1000)}`],
    ['two root elements', '<D:propfind xmlns:D="DAV:"/><D:propfind xmlns:D="DAV:"/>'],
  ];
  for (const [method, headers] of methods) {
    for (const [name, body] of bodies) {
      it(`${method} answers 400 to ${name}`, async () => {
        const response = await send(server, method, `${PREFIX}doc.txt`, headers, body);
        expect(response.status).toBe(400);
        expect(response.text).not.toContain('root:');
      });
    }
  }

  it('answers 400 to a body that is not UTF-8', async () => {
    const latin1 = Buffer.from([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e]);
    expect((await send(server, 'PROPFIND', `${PREFIX}doc.txt`, { Depth: '0' }, latin1)).status).toBe(400);
  });
});

describe('oversized bodies', () => {
  const big = `<D:propfind xmlns:D="DAV:"><D:prop>${'<D:getetag/>'.repeat(10_000)}</D:prop></D:propfind>`;

  for (const [method, headers] of methods) {
    it(`${method} answers 413 past the cap`, async () => {
      expect((await send(server, method, `${PREFIX}doc.txt`, headers, big)).status).toBe(413);
    });
  }

  it('answers 413 to a chunked body that grows past the cap, without reading it all', async () => {
    const status = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `PROPFIND ${PREFIX}doc.txt HTTP/1.1\r\nHost: x\r\nDepth: 0\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
        const chunk = 'x'.repeat(16 * 1024);
        for (let i = 0; i < 8; i += 1) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      });
      let received = '';
      socket.on('data', (data) => {
        received += data.toString();
        if (received.includes('\r\n')) {
          socket.destroy();
          resolve(received.slice(0, received.indexOf('\r\n')));
        }
      });
      socket.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 413 Payload Too Large');
  });
});
