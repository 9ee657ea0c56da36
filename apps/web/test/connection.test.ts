// The connection monitor and the API client's reports to it: offline on a call without an answer (or a
// proxy's 502), /health probed until it answers, reconnect listeners told once; the session probe.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/api-error';
import { createApiClient, isUnreachable } from '../src/api/client';
import { type ConnectionMonitor, createConnectionMonitor } from '../src/api/connection';

/** A server that can be switched off: fetch then fails the way a browser's does (TypeError). */
function switchableServer() {
  const state = { up: true, healthChecks: 0 };
  const fetch = async (input: RequestInfo | URL) => {
    const url = String(input);
    if (!state.up) throw new TypeError('Failed to fetch');
    if (url.endsWith('/health')) {
      state.healthChecks += 1;
      return new Response('ok', { status: 200 });
    }
    if (url.endsWith('/auth/session')) return Response.json({ user: null });
    return Response.json({ tokens: [] });
  };
  return { state, fetch };
}

let monitor: ConnectionMonitor | undefined;
afterEach(() => monitor?.stop());

describe('connection monitor', () => {
  it('goes offline when a call gets no answer, probes /health, and comes back once, telling listeners', async () => {
    const server = switchableServer();
    monitor = createConnectionMonitor({ fetch: server.fetch, probeDelay: () => 10 });
    const api = createApiClient({ fetch: server.fetch, connection: monitor });
    const states: string[] = [];
    const reconnects = vi.fn();
    monitor.subscribe((state) => states.push(state.status));
    monitor.onReconnect(reconnects);

    server.state.up = false;
    const failure = await api.tokens.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(0);
    expect(monitor.state().status).toBe('offline');

    // Probes keep failing while the server is down; nothing is announced.
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(monitor.state().status).toBe('offline');
    expect(reconnects).not.toHaveBeenCalled();

    server.state.up = true;
    await vi.waitFor(() => expect(monitor?.state().status).toBe('online'));
    expect(reconnects).toHaveBeenCalledTimes(1);
    expect(states).toEqual(['offline', 'online']);
    // Once back, probing stops.
    const checks = server.state.healthChecks;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.state.healthChecks).toBe(checks);
  });

  it("takes a proxy's 502 page for an outage, but not Homeport's own JSON errors", async () => {
    let answer = new Response('<html>Bad Gateway</html>', { status: 502 });
    monitor = createConnectionMonitor({
      fetch: async () => new Response('down', { status: 503 }),
      probeDelay: () => 1000,
    });
    const api = createApiClient({ fetch: async () => answer, connection: monitor });
    const failure = await api.tokens.list().catch((error: unknown) => error);
    expect((failure as ApiError).status).toBe(502);
    expect(isUnreachable(failure)).toBe(true);
    expect(monitor.state().status).toBe('offline');

    monitor.reportReachable();
    answer = Response.json({ error: { code: 'busy', message: 'Too many logins at once' } }, { status: 503 });
    const busy = await api.tokens.list().catch((error: unknown) => error);
    expect((busy as ApiError).code).toBe('busy');
    expect(isUnreachable(busy)).toBe(false);
    expect(monitor.state().status).toBe('online');
  });

  it('check() answers whether /health responds, and shares one request between callers', async () => {
    const server = switchableServer();
    monitor = createConnectionMonitor({ fetch: server.fetch, probeDelay: () => 1000 });
    const [a, b] = await Promise.all([monitor.check(), monitor.check()]);
    expect([a, b]).toEqual([true, true]);
    expect(server.state.healthChecks).toBe(1);
    server.state.up = false;
    expect(await monitor.check()).toBe(false);
    expect(monitor.state().status).toBe('offline');
  });
});

describe('session probe', () => {
  it('resolves null for nobody (a 200, no 401 to log) and the user when signed in', async () => {
    const server = switchableServer();
    expect(await createApiClient({ fetch: server.fetch }).auth.session()).toBeNull();
    const user = { id: 'usr_1', username: 'alice', role: 'member', status: 'active' };
    const signedIn = createApiClient({ fetch: async () => Response.json({ user }) });
    expect(await signedIn.auth.session()).toEqual(user);
  });

  it('posts a password change to /auth/password', async () => {
    const seen: { url: string; body: unknown }[] = [];
    const api = createApiClient({
      fetch: async (input, init) => {
        seen.push({ url: String(input), body: JSON.parse(String(init?.body)) });
        return new Response(null, { status: 204 });
      },
    });
    await api.auth.changePassword({ currentPassword: 'old-password', newPassword: 'new-password' });
    expect(seen).toEqual([
      {
        url: '/api/v1/auth/password',
        body: { currentPassword: 'old-password', newPassword: 'new-password' },
      },
    ]);
  });
});
