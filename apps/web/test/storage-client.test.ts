// The storage (NAS) part of the API client against a fetch that answers like the server.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createApiClient } from '../src/api/client';

interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

function fakeServer(respond: (request: Recorded) => Response) {
  const requests: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: Recorded = {
      method: init.method ?? 'GET',
      url: String(input),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);
    return respond(request);
  };
  return { requests, api: createApiClient({ fetch }) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const grant = { userId: 'usr_1', username: 'bob', access: 'read-only', createdAt: '2026-01-01T00:00:00Z' };

describe('api.nas', () => {
  it('unwraps the grants envelope and encodes the export id', async () => {
    const { api, requests } = fakeServer(() => json(200, { grants: [grant] }));

    const grants = await api.nas.listGrants('exp/../1');

    expect(grants).toEqual([grant]);
    expect(requests[0]?.url).toBe('/api/v1/exports/exp%2F..%2F1/grants');
  });

  it('shares with PUT and the access in the body, by user id or username', async () => {
    const { api, requests } = fakeServer(() => json(200, grant));

    await api.nas.share('exp_1', 'bob smith', 'read-only');

    expect(requests[0]).toEqual({
      method: 'PUT',
      url: '/api/v1/exports/exp_1/grants/bob%20smith',
      body: { access: 'read-only' },
    });
  });

  it('unshares with DELETE and resolves the 204', async () => {
    const { api, requests } = fakeServer(() => new Response(null, { status: 204 }));

    await expect(api.nas.unshare('exp_1', 'usr_1')).resolves.toBeUndefined();
    expect(requests[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/exports/exp_1/grants/usr_1' });
  });

  it('asks for a mount profile with the export and the read-only wish', async () => {
    const { api, requests } = fakeServer(() => json(200, { id: 'mnt_1' }));

    await api.nas.issueMountProfile({ exportId: 'exp_1', readonly: true });

    expect(requests[0]).toEqual({
      method: 'POST',
      url: '/api/v1/mount-profiles/issue',
      body: { exportId: 'exp_1', readonly: true },
    });
  });

  it('keeps node_offline and its Retry-After on the error, so the dialog can say so', async () => {
    const { api } = fakeServer(() =>
      json(503, { error: { code: 'node_offline', message: 'offline' } }, { 'Retry-After': '30' }),
    );

    const error = await api.nas.issueMountProfile({ exportId: 'exp_1' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'node_offline', retryAfter: 30 });
  });

  it('returns how many credentials a revocation reached', async () => {
    const { api, requests } = fakeServer(() => json(200, { revoked: 3 }));

    await expect(api.nas.revokeMountCredentials({ exportId: 'exp_1' })).resolves.toBe(3);
    expect(requests[0]).toEqual({
      method: 'POST',
      url: '/api/v1/mount-credentials/revoke',
      body: { exportId: 'exp_1' },
    });
  });
});
