// What ends when access narrows: API tokens with a password reset, the notification other modules get
// (UserDirectory.onAccessNarrowed), the default expiry of new tokens, and logging of failed logins.

import { ACCOUNTS } from '@homeport/accounts';
import { bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import type { AccessChange } from '@homeport/core';
import { afterEach, describe, expect, it } from 'vitest';

let t: TestHomeport | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function addMember(t: TestHomeport, admin: string, username = 'member1', password = 'member-password') {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(admin),
    payload: { username, password, role: 'member' },
  });
  expect(response.statusCode).toBe(201);
  return { id: response.json().id as string, session: await t.login(username, password) };
}

async function newToken(t: TestHomeport, session: string, payload: Record<string, unknown> = { name: 'ci' }) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/tokens',
    headers: bearer(session),
    payload,
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ token: { id: string; expiresAt: string | null }; value: string }>();
}

const patchUser = (t: TestHomeport, admin: string, id: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: bearer(admin), payload });

const me = async (t: TestHomeport, credential: string) =>
  (await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(credential) })).statusCode;

describe('a password reset ends API tokens', () => {
  it('by default', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const { value } = await newToken(t, member.session);
    expect(await me(t, value)).toBe(200);
    expect((await patchUser(t, admin, member.id, { password: 'brand-new-password' })).statusCode).toBe(200);
    expect(await me(t, value)).toBe(401);
    expect(t.homeport.sqlite().prepare('SELECT COUNT(*) FROM api_tokens').pluck().get()).toBe(0);
  });

  it('not when the admin asks to keep them', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const { value } = await newToken(t, member.session);
    const reset = await patchUser(t, admin, member.id, {
      password: 'brand-new-password',
      keepApiTokens: true,
    });
    expect(reset.statusCode).toBe(200);
    expect(await me(t, value)).toBe(200);
    expect(await me(t, member.session)).toBe(401);
  });
});

describe('API token expiry', () => {
  it('gives a new token 90 days unless asked otherwise; never only when asked for', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    t = await buildTestHomeport({ clock: () => now });
    const session = await t.login();
    const byDefault = await newToken(t, session);
    expect(byDefault.token.expiresAt).toBe(new Date(now + 90 * 86_400_000).toISOString());
    const week = await newToken(t, session, { name: 'week', expiresInDays: 7 });
    expect(week.token.expiresAt).toBe(new Date(now + 7 * 86_400_000).toISOString());
    const never = await newToken(t, session, { name: 'forever', expiresInDays: null });
    expect(never.token.expiresAt).toBeNull();
  });

  it('takes the default from HOMEPORT_API_TOKEN_TTL', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    t = await buildTestHomeport({ clock: () => now, env: { HOMEPORT_API_TOKEN_TTL: '48h' } });
    const created = await newToken(t, await t.login());
    expect(created.token.expiresAt).toBe(new Date(now + 2 * 86_400_000).toISOString());
  });
});

describe('UserDirectory.onAccessNarrowed', () => {
  it('tells subscribers after a user is disabled, demoted or given a new password — once stored', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const second = await addMember(t, admin, 'second', 'second-password');
    await patchUser(t, admin, second.id, { role: 'admin' });
    const seen: (AccessChange & { storedStatus: string; storedRole: string })[] = [];
    const db = t.homeport.sqlite();
    const unsubscribe = t.homeport.requireModule(ACCOUNTS).service.onAccessNarrowed((change) => {
      const row = db.prepare('SELECT status, role FROM users WHERE id = ?').get(change.userId) as {
        status: string;
        role: string;
      };
      seen.push({ ...change, storedStatus: row.status, storedRole: row.role });
    });
    await patchUser(t, admin, member.id, { password: 'brand-new-password' });
    await patchUser(t, admin, member.id, { status: 'disabled' });
    await patchUser(t, admin, member.id, { status: 'disabled' }); // already disabled: nothing narrows
    await patchUser(t, admin, second.id, { role: 'member' });
    await patchUser(t, admin, second.id, { role: 'admin' }); // a promotion widens access
    expect(seen).toEqual([
      { userId: member.id, reason: 'password_reset', storedStatus: 'active', storedRole: 'member' },
      { userId: member.id, reason: 'disabled', storedStatus: 'disabled', storedRole: 'member' },
      { userId: second.id, reason: 'demoted', storedStatus: 'active', storedRole: 'member' },
    ]);
    unsubscribe();
    await patchUser(t, admin, member.id, { status: 'active' });
    await patchUser(t, admin, member.id, { status: 'disabled' });
    expect(seen).toHaveLength(3);
  });

  it('a failing subscriber is logged and neither stops the change nor the other subscribers', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const member = await addMember(t, admin);
    const reasons: string[] = [];
    t.homeport.requireModule(ACCOUNTS).service.onAccessNarrowed(() => {
      throw new Error('subscriber broke');
    });
    t.homeport.requireModule(ACCOUNTS).service.onAccessNarrowed((change) => {
      reasons.push(change.reason);
    });
    expect((await patchUser(t, admin, member.id, { status: 'disabled' })).statusCode).toBe(200);
    expect(reasons).toEqual(['disabled']);
    expect(t.logs.some((line) => line.includes('access-narrowed listener failed'))).toBe(true);
  });
});

describe('failed logins', () => {
  it('are logged as one warning with username and IP, never the password, with the access log off', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_ACCESS_LOG: 'false' } });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'guessed-password-1' },
      remoteAddress: '203.0.113.9',
    });
    const failures = t.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'login failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 40, username: 'admin', ip: '203.0.113.9' });
    expect(t.logs.join('\n')).not.toContain('guessed-password-1');
  });
});

describe('registration throttling', () => {
  it('a burst of registrations from one IP is cut early, logged in one line each, and logins keep working', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_REGISTRATION_ENABLED: 'true' } });
    const app = t.app;
    const burst = Array.from({ length: 40 }, (_, i) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { username: `bot${i}`, password: 'bot-password-123' },
        remoteAddress: '198.51.100.7',
      }),
    );
    const started = Date.now();
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'correct-horse-battery' },
      remoteAddress: '198.51.100.8',
    });
    expect(login.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    const statuses = (await Promise.all(burst)).map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(30);
    expect(statuses.every((status) => status === 201 || status === 429)).toBe(true);
    const lines = t.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => (line.level as number) >= 50)).toBe(false);
    expect(t.logs.join('\n')).not.toContain('"stack"');
    const refusals = lines.filter((line) => String(line.msg).startsWith('registration refused'));
    expect(refusals.length).toBe(statuses.filter((status) => status === 429).length);
    expect(refusals[0]).toMatchObject({ level: 40, ip: '198.51.100.7' });
    // Another address registers normally.
    const other = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username: 'human', password: 'human-password' },
      remoteAddress: '198.51.100.9',
    });
    expect(other.statusCode).toBe(201);
  });
});
