// The API client where the real server cannot be made to answer so (a proxy's page, no answer at all, odd
// Retry-After values, ids with slashes); its ordinary calls run against the real server in
// apps/homeport/test/web-client.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createApiClient, parseRetryAfter } from '../src/api/client';

interface Recorded {
  url: string;
  init: RequestInit;
}

function fakeServer(respond: (url: string, init: RequestInit) => Response) {
  const requests: Recorded[] = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    requests.push({ url, init });
    return respond(url, init);
  };
  return { requests, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const user = {
  id: 'usr_1',
  username: 'alice',
  role: 'admin',
  status: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('createApiClient', () => {
  it('turns the error body into an ApiError with code, message and Retry-After', async () => {
    const server = fakeServer(() =>
      json(
        429,
        { error: { code: 'too_many_attempts', message: 'Too many failed logins' } },
        { 'Retry-After': '7' },
      ),
    );
    const api = createApiClient({ fetch: server.fetch });

    const error = await api.auth.login({ username: 'a', password: 'b' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 429,
      code: 'too_many_attempts',
      message: 'Too many failed logins',
      retryAfter: 7,
    });
  });

  it('keeps the status when the error body is not JSON (a proxy page)', async () => {
    const server = fakeServer(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const api = createApiClient({ fetch: server.fetch });

    await expect(api.users.list()).rejects.toMatchObject({
      status: 502,
      code: 'http_502',
      message: 'Bad Gateway',
    });
  });

  it('stops reporting to a listener once it unsubscribes', async () => {
    const server = fakeServer(() => json(401, { error: { code: 'unauthorized', message: 'no' } }));
    const api = createApiClient({ fetch: server.fetch });
    const onUnauthorized = vi.fn();
    const unsubscribe = api.onUnauthorized(onUnauthorized);
    unsubscribe();

    await expect(api.tokens.list()).rejects.toBeInstanceOf(ApiError);

    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('reports an unreachable server as status 0 with a readable message', async () => {
    const api = createApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });

    await expect(api.users.list()).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('encodes ids into the path so one cannot reach another route', async () => {
    const server = fakeServer(() => json(200, user));
    const api = createApiClient({ fetch: server.fetch });

    await api.users.update('../auth/logout', { role: 'member' });

    expect(server.requests[0]?.url).toBe('/api/v1/users/..%2Fauth%2Flogout');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
