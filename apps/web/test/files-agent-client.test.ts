// The requests the browser's agent client sends, as design13.md specifies them, checked on a real loopback
// HTTP server that records them: Bearer on every request, `?access_token=` only in links, per-segment
// encoding, WebDAV headers for MOVE/COPY, no overwrite unless asked, the upload protocol's headers, and the
// 401 → renew → retry path. (The real agent is driven by test/browser/files.test.ts.)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessKeeper } from '../src/pages/files/access-keeper';
import { createAgentClient, OffsetMismatchError } from '../src/pages/files/agent-client';
import { AgentError } from '../src/pages/files/agent-error';
import type { AgentAccess } from '../src/pages/files/files-types';
import { fetchSend } from '../src/pages/files/send';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (request: Seen, response: ServerResponse) => void = (_, response) =>
  response.writeHead(204).end();

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(record);
      answer(record, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dav/files/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client() {
  seen.length = 0;
  let issued = 0;
  const keeper = createAccessKeeper<AgentAccess>({
    issue: async () => {
      issued += 1;
      return {
        baseUrl: base,
        token: `tok-${issued}.sig`,
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      };
    },
  });
  return createAgentClient({ access: keeper, send: fetchSend(fetch) });
}

describe('agent client', () => {
  it('lists a folder with the Bearer credential and reads the entries it understands', async () => {
    answer = (_, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          path: '/a#b',
          entries: [
            { name: 'x.jpg', kind: 'file', size: 3, modified: '2026-01-01T00:00:00Z', type: 'image/jpeg' },
            { name: 'sub', kind: 'folder', size: 0, modified: '2026-01-01T00:00:00Z' },
            { name: 'odd', kind: 'socket' },
          ],
          truncated: false,
        }),
      );
    const listing = await client().list('/a#b');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/dav/files/a%23b/?list' });
    expect(seen[0]?.headers.authorization).toBe('Bearer tok-1.sig');
    expect(listing.entries.map((e) => e.name)).toEqual(['x.jpg', 'sub']);
  });

  it('puts the credential in the query only for links the browser opens itself', async () => {
    const agent = client();
    expect(await agent.link('/d/100%.txt', 'inline')).toBe(`${base}d/100%25.txt?access_token=tok-1.sig`);
    expect(await agent.link('/d/a?.txt', 'download')).toBe(
      `${base}d/a%3F.txt?download&access_token=tok-1.sig`,
    );
    expect(await agent.link('/d', 'zip')).toBe(`${base}d/?zip&access_token=tok-1.sig`);
    expect(await agent.watchUrl('/')).toBe(`${base}?watch&access_token=tok-1.sig`);
    expect(seen).toEqual([]);
  });

  it('moves and copies with a Destination on the same agent and Overwrite F unless asked', async () => {
    answer = (_, response) => response.writeHead(201).end();
    const agent = client();
    await agent.move('/a b/c#d.txt', '/e/f.txt', false);
    await agent.copy('/dir', '/dir copy', true, true);
    expect(seen.map((s) => [s.method, s.url, s.headers.destination, s.headers.overwrite])).toEqual([
      ['MOVE', '/dav/files/a%20b/c%23d.txt', `${base}e/f.txt`, 'F'],
      ['COPY', '/dav/files/dir/', `${base}dir%20copy/`, 'T'],
    ]);
  });

  it('says what went wrong in words, by status', async () => {
    const agent = client();
    answer = (_, response) => response.writeHead(412).end();
    await expect(agent.move('/a', '/b', false)).rejects.toMatchObject({
      code: 'exists',
      message: /already there/,
    });
    answer = (_, response) => response.writeHead(423).end();
    await expect(agent.remove('/a', false)).rejects.toMatchObject({ code: 'locked' });
    answer = (_, response) => response.writeHead(507).end();
    await expect(agent.createFolder('/a')).rejects.toMatchObject({ code: 'no_space' });
  });

  it('creates folders, deletes, and PUTs with If-None-Match unless replacing', async () => {
    answer = (_, response) => response.writeHead(201).end();
    const agent = client();
    await agent.createFolder('/new ☃');
    await agent.remove('/old', true);
    await agent.put('/a.txt', new Blob(['hello']));
    await agent.put('/a.txt', new Blob(['again']), { overwrite: true });
    expect(seen.map((s) => [s.method, s.url, s.headers['if-none-match'], s.body])).toEqual([
      ['MKCOL', '/dav/files/new%20%E2%98%83/', undefined, ''],
      ['DELETE', '/dav/files/old/', undefined, ''],
      ['PUT', '/dav/files/a.txt', '*', 'hello'],
      ['PUT', '/dav/files/a.txt', undefined, 'again'],
    ]);
  });

  it('speaks the resumable upload protocol', async () => {
    const agent = client();
    answer = (request, response) => {
      if (request.method === 'POST') {
        response
          .writeHead(201, { location: '/dav/files/in/?upload=abc', 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 'abc', offset: 0 }));
      } else if (request.method === 'HEAD') {
        response.writeHead(204, { 'upload-offset': '5', 'upload-length': '10' }).end();
      } else if (request.method === 'PATCH') {
        const end = Number(request.headers['upload-offset']) + request.body.length;
        response.writeHead(end === 10 ? 201 : 204, { 'upload-offset': String(end) }).end();
      } else {
        response.writeHead(204).end();
      }
    };
    expect(await agent.startUpload('/in', 'a#b ☃.bin', 10)).toEqual({ id: 'abc', offset: 0 });
    expect(await agent.uploadOffset('/in', 'abc')).toBe(5);
    expect(await agent.patchUpload('/in', 'abc', 0, new Blob(['12345']))).toEqual({
      offset: 5,
      complete: false,
    });
    expect(await agent.patchUpload('/in', 'abc', 5, new Blob(['67890']))).toEqual({
      offset: 10,
      complete: true,
    });
    await agent.cancelUpload('/in', 'abc');
    const [post, head, patch] = seen;
    expect(post).toMatchObject({ method: 'POST', url: '/dav/files/in/?upload' });
    expect(post?.headers).toMatchObject({
      'upload-length': '10',
      'x-file-name': 'a%23b%20%E2%98%83.bin',
      'if-none-match': '*',
    });
    expect(head).toMatchObject({ method: 'HEAD', url: '/dav/files/in/?upload=abc' });
    expect(patch?.headers).toMatchObject({
      'upload-offset': '0',
      'content-type': 'application/offset+octet-stream',
      authorization: 'Bearer tok-1.sig',
    });
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', url: '/dav/files/in/?upload=abc' });
  });

  it('a PATCH at the wrong offset learns the agent’s offset', async () => {
    answer = (_, response) => response.writeHead(409, { 'upload-offset': '42' }).end();
    const error = await client()
      .patchUpload('/', 'abc', 0, new Blob(['x']))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetMismatchError);
    expect((error as OffsetMismatchError).offset).toBe(42);
  });

  it('renews the credential once on 401 and sends the request again', async () => {
    answer = (request, response) =>
      response.writeHead(request.headers.authorization === 'Bearer tok-1.sig' ? 401 : 201).end();
    await client().createFolder('/a');
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer tok-1.sig', 'Bearer tok-2.sig']);
  });

  it('reports an unreachable node as such', async () => {
    const keeper = createAccessKeeper<AgentAccess>({
      issue: async () => ({
        baseUrl: 'http://127.0.0.1:1/dav/x/',
        token: 't',
        expiresAt: new Date(Date.now() + 900_000).toISOString(),
      }),
    });
    const agent = createAgentClient({ access: keeper, send: fetchSend(fetch) });
    await expect(agent.list('/')).rejects.toSatisfy(
      (e) => e instanceof AgentError && e.code === 'unreachable',
    );
  });

  it('reads the start of a text file with one Range request', async () => {
    answer = (request, response) => {
      expect(request.headers.range).toBe('bytes=0-3');
      response.writeHead(206, { 'content-range': 'bytes 0-3/10' }).end('abcd');
    };
    expect(await client().readText('/t.txt', 4)).toEqual({ text: 'abcd', truncated: true });
  });
});
