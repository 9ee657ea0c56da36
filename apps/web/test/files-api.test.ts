// The control-plane calls of the files pages, on a real loopback server that records them: the routes and
// bodies of browser access, share links and the public open, and the error codes the link page branches on.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createFilesApi } from '../src/pages/files/files-api';

let server: Server;
let baseUrl: string;
const seen: { method: string; url: string; body: string }[] = [];
let reply: { status: number; body?: unknown; headers?: Record<string, string> } = { status: 204 };

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body });
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const api = () => {
  seen.length = 0;
  return createFilesApi({ baseUrl });
};

describe('files API client', () => {
  it('asks for browser access and share links on their routes', async () => {
    const client = api();
    reply = {
      status: 200,
      body: { baseUrl: 'http://n/dav/x/', token: 't', expiresAt: 'x', readonly: false },
    };
    expect((await client.browserAccess('exp/1')).token).toBe('t');
    reply = { status: 201, body: { share: { id: 'shr_1' }, url: '/s/shr_1#s' } };
    await client.createShare('exp_1', { path: '/a b', kind: 'folder', mode: 'drop', expiresInDays: 7 });
    reply = { status: 200, body: { shares: [] } };
    await client.listShares(true);
    await client.listShares();
    reply = { status: 204 };
    await client.revokeShare('shr_1');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/v1/exports/exp%2F1/browser-access',
      'POST /api/v1/exports/exp_1/shares',
      'GET /api/v1/shares?all=1',
      'GET /api/v1/shares',
      'DELETE /api/v1/shares/shr_1',
    ]);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({
      path: '/a b',
      kind: 'folder',
      mode: 'drop',
      expiresInDays: 7,
    });
  });

  it('opens a link with its secret in the body, the password only when given', async () => {
    const client = api();
    reply = { status: 200, body: { token: 't' } };
    await client.openShare('shr_1', 'sec', undefined);
    await client.openShare('shr_1', 'sec', 'pw-12345678');
    expect(seen.map((s) => [s.url, JSON.parse(s.body)])).toEqual([
      ['/api/v1/public/shares/shr_1/open', { secret: 'sec' }],
      ['/api/v1/public/shares/shr_1/open', { secret: 'sec', password: 'pw-12345678' }],
    ]);
  });

  it('rejects with the server’s code, and the wait of a throttled password', async () => {
    const client = api();
    reply = { status: 401, body: { error: { code: 'share_password_required', message: 'Password needed' } } };
    await expect(client.openShare('shr_1', 's')).rejects.toMatchObject({ code: 'share_password_required' });
    reply = {
      status: 429,
      body: { error: { code: 'share_password_throttled', message: 'Too many' } },
      headers: { 'retry-after': '120' },
    };
    const error = await client.openShare('shr_1', 's', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).retryAfter).toBe(120);
  });
});
