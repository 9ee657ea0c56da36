// POST /api/v1/auth/password: any signed-in user changes their own password — the current one required and
// throttled like a login, the new one checked by the same rules, the other sessions and (unless kept) the API
// tokens ended, and the modules that granted access told — and GET /api/v1/auth/session, the probe that
// answers 200 for nobody.

import { ACCOUNTS } from '@homeport/accounts';
import { ADMIN_PASSWORD, bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import type { AccessChange } from '@homeport/core';
import { afterEach, describe, expect, it } from 'vitest';

let t: TestHomeport | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const MEMBER_PASSWORD = 'member-password';

async function addMember(app: TestHomeport, admin: string, username = 'member1') {
  const response = await app.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(admin),
    payload: { username, password: MEMBER_PASSWORD, role: 'member' },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

function changePassword(app: TestHomeport, token: string, payload: Record<string, unknown>) {
  return app.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: bearer(token), payload });
}

async function newToken(app: TestHomeport, session: string): Promise<string> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/tokens',
    headers: bearer(session),
    payload: { name: 'ci' },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ value: string }>().value;
}

async function status(app: TestHomeport, token: string): Promise<number> {
  return (await app.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode;
}

async function loginStatus(app: TestHomeport, username: string, password: string): Promise<number> {
  const response = await app.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
  });
  return response.statusCode;
}

describe('changing my own password', () => {
  it('a member changes it: this session stays, the others and the API tokens end, the old password stops working', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const memberId = await addMember(t, admin);
    const here = await t.login('member1', MEMBER_PASSWORD);
    const elsewhere = await t.login('member1', MEMBER_PASSWORD);
    const apiToken = await newToken(t, here);
    const adminsOwn = await t.login();

    const response = await changePassword(t, here, {
      currentPassword: MEMBER_PASSWORD,
      newPassword: 'a-brand-new-password',
    });
    expect(response.statusCode).toBe(204);

    expect(await status(t, here)).toBe(200);
    expect(await status(t, elsewhere)).toBe(401);
    expect(await status(t, apiToken)).toBe(401);
    // Nobody else's sessions are touched.
    expect(await status(t, adminsOwn)).toBe(200);
    expect(await loginStatus(t, 'member1', MEMBER_PASSWORD)).toBe(401);
    expect(await loginStatus(t, 'member1', 'a-brand-new-password')).toBe(200);
    const sessions = await t.app.inject({ url: '/api/v1/auth/sessions', headers: bearer(here) });
    // This one, and the login just above.
    expect(sessions.json().sessions).toHaveLength(2);
    expect(memberId).toMatch(/^usr/);
    // The password is never logged, neither the old nor the new one.
    expect(t.logs.join('\n')).not.toContain('a-brand-new-password');
    expect(t.logs.join('\n')).not.toContain(MEMBER_PASSWORD);
  });

  it('keeps the API tokens when asked to', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const apiToken = await newToken(t, session);
    const response = await changePassword(t, session, {
      currentPassword: ADMIN_PASSWORD,
      newPassword: 'another-admin-password',
      keepApiTokens: true,
    });
    expect(response.statusCode).toBe(204);
    expect(await status(t, apiToken)).toBe(200);
    expect(await status(t, session)).toBe(200);
  });

  it('tells the modules that granted access (mount credentials, event streams), once stored', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const memberId = await addMember(t, admin);
    const session = await t.login('member1', MEMBER_PASSWORD);
    const narrowed: AccessChange[] = [];
    const ended: string[] = [];
    const { service } = t.homeport.requireModule(ACCOUNTS);
    const stop = [
      service.onAccessNarrowed((change) => {
        narrowed.push(change);
      }),
      service.onCredentialsEnded((userId) => ended.push(userId)),
    ];
    await changePassword(t, session, { currentPassword: MEMBER_PASSWORD, newPassword: 'new-member-pass' });
    for (const unsubscribe of stop) unsubscribe();
    expect(narrowed).toEqual([{ userId: memberId, reason: 'password_reset' }]);
    expect(ended).toEqual([memberId]);
  });

  it('refuses a wrong current password with 403 wrong_password (not 401) and changes nothing', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const other = await t.login();
    const response = await changePassword(t, session, {
      currentPassword: 'not-the-password',
      newPassword: 'would-be-new-password',
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('wrong_password');
    expect(await status(t, session)).toBe(200);
    expect(await status(t, other)).toBe(200);
    expect(await loginStatus(t, 'admin', ADMIN_PASSWORD)).toBe(200);
    expect(t.logs.some((line) => line.includes('password change refused'))).toBe(true);
  });

  it('throttles wrong current passwords like failed logins (429 with Retry-After)', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_LOGIN_FAILURES_PER_USER: '2' } });
    const session = await t.login();
    const codes: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await changePassword(t, session, {
        currentPassword: `wrong-${i}-password`,
        newPassword: 'would-be-new-password',
      });
      codes.push(response.statusCode);
      if (response.statusCode === 429) {
        expect(response.json().error.code).toBe('too_many_attempts');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(codes.slice(0, 2)).toEqual([403, 403]);
    expect(codes).toContain(429);
    // Even the right password waits out the backoff.
    const right = await changePassword(t, session, {
      currentPassword: ADMIN_PASSWORD,
      newPassword: 'would-be-new-password',
    });
    expect(right.statusCode).toBe(429);
  });

  it.each([
    ['short', 'at least 8'],
    ['é'.repeat(513), 'at most 1024'],
  ])(
    'refuses the new password %# by the same rules as any (400 naming newPassword)',
    async (newPassword, says) => {
      t = await buildTestHomeport();
      const session = await t.login();
      const response = await changePassword(t, session, { currentPassword: ADMIN_PASSWORD, newPassword });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_request', field: 'newPassword' });
      expect(response.json().error.message).toContain(says);
      expect(await loginStatus(t, 'admin', ADMIN_PASSWORD)).toBe(200);
    },
  );

  it('is refused without a session: 401 signed out, 403 with an API token', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const apiToken = await newToken(t, session);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      payload: { currentPassword: ADMIN_PASSWORD, newPassword: 'would-be-new-password' },
    });
    expect(anonymous.statusCode).toBe(401);
    const withToken = await changePassword(t, apiToken, {
      currentPassword: ADMIN_PASSWORD,
      newPassword: 'would-be-new-password',
    });
    expect(withToken.statusCode).toBe(403);
    expect(withToken.json().error.code).toBe('forbidden');
    expect(await loginStatus(t, 'admin', ADMIN_PASSWORD)).toBe(200);
  });

  it('answers 409 password_not_set for an account that signs in only through a provider', async () => {
    t = await buildTestHomeport();
    const { service } = t.homeport.requireModule(ACCOUNTS);
    const user = await service.createExternalUser({ username: 'sso-only', role: 'member' });
    const { token } = await service.issueSession(user, { ip: null, userAgent: null });
    const response = await changePassword(t, token, {
      currentPassword: 'anything-at-all',
      newPassword: 'would-be-new-password',
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('password_not_set');
  });
});

describe('GET /api/v1/auth/session', () => {
  it('answers 200 { user: null } for nobody, and the user for a session or token', async () => {
    t = await buildTestHomeport();
    const anonymous = await t.app.inject({ url: '/api/v1/auth/session' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ user: null });
    const stale = await t.app.inject({
      url: '/api/v1/auth/session',
      cookies: { homeport_session: 'f'.repeat(64) },
    });
    expect(stale.statusCode).toBe(200);
    expect(stale.json()).toEqual({ user: null });

    const session = await t.login();
    const byCookie = await t.app.inject({
      url: '/api/v1/auth/session',
      cookies: { homeport_session: session },
    });
    expect(byCookie.json().user).toMatchObject({ username: 'admin', role: 'admin', status: 'active' });
    const byBearer = await t.app.inject({ url: '/api/v1/auth/session', headers: bearer(session) });
    expect(byBearer.json().user.username).toBe('admin');
    // /auth/me keeps its 401 for scripts.
    expect((await t.app.inject({ url: '/api/v1/auth/me' })).statusCode).toBe(401);
  });
});
