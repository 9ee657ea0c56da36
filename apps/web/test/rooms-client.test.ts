// The bus client of the Rooms page against a fetch (and an upload) that answer like the gateway: the paths
// and bodies it sends, the attachment upload's headers, scrollback checked like the stream, and which
// refusals end the session.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createBusClient } from '../src/pages/rooms/api/bus-client';
import type { UploadRequest } from '../src/pages/rooms/api/upload';

interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function fakeGateway(respond: (request: Recorded) => Response) {
  const requests: Recorded[] = [];
  const uploads: UploadRequest[] = [];
  let sessionEnded = 0;
  const client = createBusClient({
    fetch: async (input, init = {}) => {
      const request = {
        method: init.method ?? 'GET',
        url: String(input),
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      requests.push(request);
      return respond(request);
    },
    upload: async (request) => {
      uploads.push(request);
      request.onProgress?.(request.body.size, request.body.size);
      return json(201, {
        id: 'blob1',
        name: 'résumé 日本.pdf',
        size: request.body.size,
        type: 'application/pdf',
      });
    },
    onSessionEnded: () => {
      sessionEnded += 1;
    },
  });
  return { client, requests, uploads, sessionEnded: () => sessionEnded };
}

const message = { id: '01A', sender: 'ep', handle: 'alice', body: 'hi', ts: 1, mine: false };

describe('createBusClient', () => {
  it('sends a message with its attachment, and encodes room and blob ids in paths', async () => {
    const { client, requests } = fakeGateway(() => json(202, { id: '01B' }));
    const attachment = { id: 'b/1', name: 'a.txt', size: 3, type: 'text/plain' };
    expect(await client.gateway.send('room/../x', { body: '', attachment })).toEqual({ id: '01B' });
    expect(requests[0]).toEqual({
      method: 'POST',
      url: '/api/v1/bus/gateway/rooms/room%2F..%2Fx/messages',
      body: { body: '', attachment },
    });
    expect(client.attachmentUrl('r1', 'b/1')).toBe('/api/v1/bus/gateway/rooms/r1/attachments/b%2F1');
  });

  it('uploads the file as raw bytes with its name percent-encoded in a header, reporting progress', async () => {
    const { client, uploads } = fakeGateway(() => json(500, {}));
    const file = new File(['%PDF-1.7'], 'résumé 日本.pdf', { type: 'application/pdf' });
    const seen: number[] = [];
    const attachment = await client.gateway.uploadAttachment('r1', file, {
      onProgress: (sent) => seen.push(sent),
    });
    expect(attachment).toMatchObject({ id: 'blob1', size: 8 });
    expect(seen).toEqual([8]);
    expect(uploads[0]?.url).toBe('/api/v1/bus/gateway/rooms/r1/attachments');
    expect(uploads[0]?.body).toBe(file);
    expect(uploads[0]?.headers['Content-Type']).toBe('application/octet-stream');
    expect(uploads[0]?.headers['X-File-Type']).toBe('application/pdf');
    const header = uploads[0]?.headers['X-File-Name'] ?? '';
    // A header value the browser accepts (no code point above U+00FF) that decodes back to the name.
    expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
    expect(decodeURIComponent(header)).toBe(file.name);
  });

  it('checks scrollback like the stream: a message of the wrong shape is left out', async () => {
    const { client, requests } = fakeGateway(() =>
      json(200, [message, { ...message, id: '01B', body: 5 }, { ...message, id: '01C', attachment: 'x' }]),
    );
    expect(await client.gateway.messages('r1', { before: '01Z', limit: 20 })).toEqual([message]);
    expect(requests[0]?.url).toBe('/api/v1/bus/gateway/rooms/r1/messages?before=01Z&limit=20');
  });

  it('signs out on a lost session, not when the bus refuses the account’s identity', async () => {
    let answer = json(401, { error: { code: 'unauthorized', message: 'Sign in' } });
    const gateway = fakeGateway(() => answer);
    await expect(gateway.client.gateway.rooms()).rejects.toBeInstanceOf(ApiError);
    expect(gateway.sessionEnded()).toBe(1);
    answer = json(403, { error: { code: 'gateway_identity_revoked', message: 'Revoked' } });
    const refused = await gateway.client.gateway.rooms().catch((error: unknown) => error);
    expect((refused as ApiError).code).toBe('gateway_identity_revoked');
    expect(gateway.sessionEnded()).toBe(1);
  });
});
