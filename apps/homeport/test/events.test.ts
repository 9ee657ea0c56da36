// The SSE endpoint end to end: authorised per topic, live delivery, Last-Event-ID resume, slow clients cut.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { bearer, buildApp, errorOf, type TestApp } from './support/app.js';
import { openRaw } from './support/raw-http.js';
import { readUntil } from './support/sse.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function listening() {
  t = await buildApp({ env: { HOMEPORT_PORT: '0' } });
  const base = await t.homeport.listen();
  return { t, base, port: Number(new URL(base).port) };
}

describe('GET /api/v1/events', () => {
  it('streams accounts.users events to an admin as they happen', async () => {
    const { t, base } = await listening();
    const admin = await t.login();
    const stream = await fetch(`${base}/api/v1/events?topics=accounts.users`, { headers: bearer(admin) });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    await fetch(`${base}/api/v1/users`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'erin', password: 'erin-password' }),
    });
    const text = await readUntil(stream, (so) => so.includes('erin'));
    expect(text).toMatch(
      /id: \d+\nevent: user\.created\ndata: \{.*"topic":"accounts\.users".*"username":"erin"/,
    );
  });

  it('resumes from Last-Event-ID with what history kept', async () => {
    const { t, base } = await listening();
    const admin = await t.login();
    const first = await t.homeport.events.publish('accounts.users', 'user.updated', { marker: 'one' });
    await t.homeport.events.publish('accounts.users', 'user.updated', { marker: 'two' });
    const stream = await fetch(`${base}/api/v1/events?topics=accounts.users`, {
      headers: { ...bearer(admin), 'last-event-id': first.id },
    });
    const text = await readUntil(stream, (so) => so.includes('two'));
    expect(text).not.toContain('"marker":"one"');
    const viaQuery = await fetch(`${base}/api/v1/events?topics=accounts.users&lastEventId=${first.id}`, {
      headers: bearer(admin),
    });
    const replayed = await readUntil(viaQuery, (so) => so.includes('two'));
    expect(replayed).not.toContain('"marker":"one"');
  });

  it('refuses anonymous (401), a member on an admin topic (403) and unknown topics (400)', async () => {
    const { t, base } = await listening();
    const admin = await t.login();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'frank', password: 'frank-password' },
    });
    const member = await t.login('frank', 'frank-password');
    expect((await fetch(`${base}/api/v1/events?topics=accounts.users`)).status).toBe(401);
    const forbidden = await fetch(`${base}/api/v1/events?topics=accounts.users`, { headers: bearer(member) });
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).error.code).toBe('forbidden_topic');
    const unknown = await fetch(`${base}/api/v1/events?topics=no.such.topic`, { headers: bearer(admin) });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).error.code).toBe('unknown_topic');
    expect((await fetch(`${base}/api/v1/events?topics=Bad%20Topic`, { headers: bearer(admin) })).status).toBe(
      400,
    );
  });

  it('disconnects a client that stops reading instead of buffering without bound', async () => {
    const { t, port, base } = await listening();
    const admin = await t.login();
    const raw = await openRaw(
      port,
      `GET /api/v1/events?topics=accounts.users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${admin}\r\n\r\n`,
    );
    raw.socket.pause();
    const metrics = async () =>
      /homeport_sse_clients (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
    await vi.waitFor(async () => expect(await metrics()).toBe('1'), { timeout: 5_000, interval: 20 });
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 2000 && (await metrics()) === '1'; i += 1) {
      for (let j = 0; j < 10; j += 1)
        await t.homeport.events.publish('accounts.users', 'user.updated', { big });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await metrics()).toBe('0');
    raw.socket.destroy();
  });

  it('ends open streams on shutdown', async () => {
    const { t, base } = await listening();
    const admin = await t.login();
    const stream = await fetch(`${base}/api/v1/events?topics=accounts.users`, { headers: bearer(admin) });
    const reading = readUntil(stream, () => false, 5000).catch((error: Error) => error.message);
    await t.homeport.close();
    const outcome = await reading;
    expect(outcome).not.toMatch(/timed out/);
  });
});

describe('streams end with the access that opened them', () => {
  /** Resolves once the server ended the stream; rejects if it is still open after `timeoutMs`. */
  async function ended(response: Response, timeoutMs = 5000): Promise<void> {
    const reader = response.body!.getReader();
    let timedOut = false;
    const timeout = setTimeout(() => {
      timedOut = true;
      void reader.cancel('still open');
    }, timeoutMs);
    try {
      for (;;) if ((await reader.read()).done) break;
    } finally {
      clearTimeout(timeout);
    }
    if (timedOut) throw new Error('stream still open');
  }

  /** True while the server keeps the stream open: a published event still arrives. */
  async function stillOpen(t: TestApp, response: Response): Promise<boolean> {
    const marker = `alive-${Math.random()}`;
    await t.homeport.events.publish('accounts.users', 'user.updated', { marker });
    const text = await readUntil(response, (so) => so.includes(marker), 3000).catch(() => '');
    return text.includes(marker);
  }

  async function setUp() {
    const { t, base } = await listening();
    const admin = await t.login();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'grace', password: 'grace-password', role: 'admin' },
    });
    const graceId = created.json<{ id: string }>().id;
    const grace = await t.login('grace', 'grace-password');
    const open = (credential: string, topics = 'accounts.users') =>
      fetch(`${base}/api/v1/events?topics=${topics}`, { headers: bearer(credential) });
    const patchGrace = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${graceId}`, headers: bearer(admin), payload });
    return { t, base, admin, grace, graceId, open, patchGrace };
  }

  it('logout ends the streams of that session, not those of another session', async () => {
    const { t, grace, open } = await setUp();
    const otherSession = await t.login('grace', 'grace-password');
    const stream = await open(grace);
    const other = await open(otherSession);
    expect(stream.status).toBe(200);
    const logout = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(grace) });
    expect(logout.statusCode).toBe(204);
    await ended(stream);
    expect(await stillOpen(t, other)).toBe(true);
  });

  it('disabling the user ends their streams', async () => {
    const { grace, open, patchGrace } = await setUp();
    const stream = await open(grace);
    expect((await patchGrace({ status: 'disabled' })).statusCode).toBe(200);
    await ended(stream);
  });

  it('a password reset ends their streams', async () => {
    const { grace, open, patchGrace } = await setUp();
    const stream = await open(grace, 'nas.nodes');
    expect((await patchGrace({ password: 'another-password' })).statusCode).toBe(200);
    await ended(stream);
  });

  it('demotion ends a stream on an admin-only topic, and keeps one the member may still read', async () => {
    const { t, grace, graceId, open, patchGrace } = await setUp();
    const adminTopic = await open(grace, 'nas.nodes');
    const ownTopic = `nas.shares.${graceId}`;
    const memberTopic = await open(grace, ownTopic);
    expect((await patchGrace({ role: 'member' })).statusCode).toBe(200);
    await ended(adminTopic);
    const marker = `still-${Math.random()}`;
    await t.homeport.events.publish(ownTopic, 'shares.changed', { marker });
    expect(await readUntil(memberTopic, (so) => so.includes(marker), 3000)).toContain(marker);
  });

  it('revoking an API token ends the streams opened with it', async () => {
    const { t, grace, open } = await setUp();
    const { token, value } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/tokens',
        headers: bearer(grace),
        payload: { name: 'feed' },
      })
    ).json<{ token: { id: string }; value: string }>();
    const viaToken = await open(value);
    const viaSession = await open(grace);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/tokens/${token.id}`,
      headers: bearer(grace),
    });
    expect(revoked.statusCode).toBe(204);
    await ended(viaToken);
    expect(await stillOpen(t, viaSession)).toBe(true);
  });

  it('a change made by another process (the user CLI) is caught by the periodic re-check', async () => {
    const { t, grace, open } = await setUp();
    const stream = await open(grace);
    // What `homeport user disable` does to the shared database, without this process being told.
    t.homeport.sqlite().prepare("UPDATE users SET status = 'disabled' WHERE username = 'grace'").run();
    // The re-check runs every 30 s; the test asks for it the way the timer does, without waiting 30 s.
    await t.homeport.eventStreams.recheckAll();
    await ended(stream);
  });
});
