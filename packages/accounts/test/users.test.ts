// HTTP tests of admin user management, own sessions and API tokens.

import { bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { afterEach, describe, expect, it } from 'vitest';

let t: TestHomeport;
afterEach(async () => {
  await t?.close();
});

async function addMember(t: TestHomeport, admin: string, username = 'member1', password = 'member-password') {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(admin),
    payload: { username, password },
  });
  expect(response.statusCode).toBe(201);
  return { id: response.json().id as string, token: await t.login(username, password) };
}

describe('admin user routes', () => {
  it('lists, creates and changes users; a member gets 403 admin_required', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const list = await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) });
    expect(list.json().users.map((user: { username: string }) => user.username)).toEqual([
      'admin',
      'member1',
    ]);
    const denied = await t.app.inject({ url: '/api/v1/users', headers: bearer(member.token) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('admin_required');
    const promoted = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${member.id}`,
      headers: bearer(admin),
      payload: { role: 'admin' },
    });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json().role).toBe('admin');
  });

  it('disabling a user ends their sessions at once and blocks login like a wrong password', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const disabled = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${member.id}`,
      headers: bearer(admin),
      payload: { status: 'disabled' },
    });
    expect(disabled.json().status).toBe('disabled');
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(member.token) })).statusCode).toBe(
      401,
    );
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'member1', password: 'member-password' },
    });
    // The same answer as a wrong password: a 403 for the right one would confirm it (a password oracle).
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'member1', password: 'not-the-password' },
    });
    expect(login.statusCode).toBe(401);
    expect(login.json()).toEqual(wrong.json());
    // Re-enabling lets them in again, with a new session.
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${member.id}`,
      headers: bearer(admin),
      payload: { status: 'active' },
    });
    await expect(t.login('member1', 'member-password')).resolves.toBeTruthy();
  });

  it('a password reset ends the sessions and the new password works', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const reset = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${member.id}`,
      headers: bearer(admin),
      payload: { password: 'brand-new-password' },
    });
    expect(reset.statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(member.token) })).statusCode).toBe(
      401,
    );
    await expect(t.login('member1', 'brand-new-password')).resolves.toBeTruthy();
    await expect(t.login('member1', 'member-password')).rejects.toThrow(/401/);
  });

  it('refuses to demote or disable the last active admin with 409 last_admin', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const me = (await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(admin) })).json();
    for (const payload of [{ role: 'member' }, { status: 'disabled' }]) {
      const response = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${me.id}`,
        headers: bearer(admin),
        payload,
      });
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('last_admin');
    }
  });

  it('validates the patch: unknown user 404, empty patch 400, bad role 400', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/usr_nope',
          headers: bearer(admin),
          payload: { role: 'admin' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/usr_nope',
          headers: bearer(admin),
          payload: {},
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: '/api/v1/users/usr_nope',
          headers: bearer(admin),
          payload: { role: 'root' },
        })
      ).statusCode,
    ).toBe(400);
  });
});

describe('my sessions', () => {
  it('lists my sessions with the current one marked, and revokes another', async () => {
    t = await buildTestHomeport();
    const first = await t.login();
    const second = await t.login();
    const list = await t.app.inject({ url: '/api/v1/auth/sessions', headers: bearer(first) });
    const sessions = list.json().sessions as { id: string; current: boolean }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((session) => session.current)).toHaveLength(1);
    const other = sessions.find((session) => !session.current)!;
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/auth/sessions/${other.id}`,
          headers: bearer(first),
        })
      ).statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(second) })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(first) })).statusCode).toBe(200);
  });

  it("cannot revoke another user's session (404)", async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const adminSessions = (
      await t.app.inject({ url: '/api/v1/auth/sessions', headers: bearer(admin) })
    ).json().sessions;
    const response = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${adminSessions[0].id}`,
      headers: bearer(member.token),
    });
    expect(response.statusCode).toBe(404);
  });
});

describe('API tokens', () => {
  it('shows the value once, stores only a hash, authenticates with it, and stops after revoke', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: bearer(session),
      payload: { name: 'ci', expiresInDays: 30 },
    });
    expect(created.statusCode).toBe(201);
    const { token, value } = created.json();
    expect(value).toMatch(/^hp_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci', prefix: value.slice(0, 10), lastUsedAt: null });
    const stored = t.homeport.sqlite().prepare('SELECT token_hash FROM api_tokens').pluck().all() as string[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(value);
    expect(stored[0]).toMatch(/^[0-9a-f]{64}$/);
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(value) });
    expect(me.json().username).toBe('admin');
    const listed = (await t.app.inject({ url: '/api/v1/auth/tokens', headers: bearer(session) })).json()
      .tokens;
    expect(listed).toHaveLength(1);
    expect(listed[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(value);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/auth/tokens/${token.id}`,
          headers: bearer(session),
        })
      ).statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(value) })).statusCode).toBe(401);
  });

  it('an API token cannot mint more tokens', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const { value } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/tokens',
        headers: bearer(session),
        payload: { name: 'a' },
      })
    ).json();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: bearer(value),
      payload: { name: 'b' },
    });
    expect(response.statusCode).toBe(403);
  });

  it('an expired token is refused', async () => {
    let now = Date.now();
    t = await buildTestHomeport({ clock: () => now });
    const session = await t.login();
    const { value } = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/tokens',
        headers: bearer(session),
        payload: { name: 'a', expiresInDays: 1 },
      })
    ).json();
    now += 86_400_000 + 1;
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(value) })).statusCode).toBe(401);
  });

  it('sessions and tokens are stored only as SHA-256 hashes', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const hashes = t.homeport.sqlite().prepare('SELECT token_hash FROM sessions').pluck().all() as string[];
    expect(hashes).toHaveLength(1);
    expect(hashes[0]).not.toBe(token);
    const passwordHash = t.homeport
      .sqlite()
      .prepare("SELECT password_hash FROM users WHERE username = 'admin'")
      .pluck()
      .get() as string;
    expect(passwordHash).toMatch(/^\$argon2id\$/);
  });
});
