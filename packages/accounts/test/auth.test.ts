// HTTP tests of register, login, logout and me, against the whole app in-process.

import { ACCOUNTS } from '@homeport/accounts';
import { ADMIN_PASSWORD, bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { afterEach, describe, expect, it } from 'vitest';

let t: TestHomeport;
afterEach(async () => {
  await t?.close();
});

function cookieOf(response: { headers: Record<string, unknown> }): string {
  const header = response.headers['set-cookie'];
  const line = Array.isArray(header) ? header[0] : header;
  if (typeof line !== 'string') throw new Error('no Set-Cookie');
  return line;
}

describe('login', () => {
  it('returns a token, the user and expiry, and sets an HttpOnly SameSite=Lax cookie', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.token).toMatch(/^[0-9a-f]{64}$/);
    expect(body.user).toMatchObject({ username: 'admin', role: 'admin', status: 'active' });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(719 * 3600_000);
    const cookie = cookieOf(response);
    expect(cookie).toContain(`homeport_session=${body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
  });

  it('accepts the username in any letter case', async () => {
    t = await buildTestHomeport();
    await expect(t.login('ADMIN')).resolves.toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 401 invalid_credentials for a wrong password and for an unknown user alike', async () => {
    t = await buildTestHomeport();
    for (const payload of [
      { username: 'admin', password: 'wrong-password' },
      { username: 'nobody', password: 'wrong-password' },
    ]) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        error: { code: 'invalid_credentials', message: 'Invalid username or password' },
      });
    }
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username": "admin", ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_json');
  });

  it('names the missing field in a 400', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request' });
    expect(response.json().error.message).toContain('password');
  });

  it('refuses a body over the 1 MiB cap with 413', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: 'x'.repeat(1_100_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('body_too_large');
  });
});

describe('me and logout', () => {
  it('answers me for a bearer token and for the cookie; 401 without either', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const viaBearer = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
    expect(viaBearer.statusCode).toBe(200);
    expect(viaBearer.json()).toMatchObject({ username: 'admin', role: 'admin' });
    const viaCookie = await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: token } });
    expect(viaCookie.statusCode).toBe(200);
    const anonymous = await t.app.inject({ url: '/api/v1/auth/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('unauthorized');
    const garbage = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer('f'.repeat(64)) });
    expect(garbage.statusCode).toBe(401);
  });

  it('reads the bearer scheme in any case and spacing; another scheme is anonymous even with a session cookie', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const me = (headers: Record<string, string>, cookies?: Record<string, string>) =>
      t.app.inject({ url: '/api/v1/auth/me', headers, ...(cookies ? { cookies } : {}) });
    for (const authorization of [`bearer ${token}`, `BEARER  ${token}`, `Bearer\t${token} `]) {
      expect((await me({ authorization })).statusCode, authorization).toBe(200);
    }
    for (const authorization of [
      `Bearer ${token} extra`,
      `Bearer ${token.toUpperCase()}`,
      `Basic ${token}`,
      'Bearer',
    ]) {
      expect((await me({ authorization }, { homeport_session: token })).statusCode, authorization).toBe(401);
    }
    // The user the guard found is the one the handler answers with, cookie or header.
    const both = await me(bearer(token), { homeport_session: 'f'.repeat(64) });
    expect(both.json()).toMatchObject({ username: 'admin' });
  });

  it('logout ends the session at once and clears the cookie', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { homeport_session: token },
    });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out)).toMatch(/homeport_session=;/);
    const after = await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: token } });
    expect(after.statusCode).toBe(401);
  });

  it('an expired session is refused with 401', async () => {
    let now = Date.now();
    t = await buildTestHomeport({ clock: () => now, env: { HOMEPORT_SESSION_TTL: '1h' } });
    const token = await t.login();
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode).toBe(200);
    now += 3600_000 + 1;
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('expired sessions are swept from the database', async () => {
    let now = Date.now();
    t = await buildTestHomeport({ clock: () => now, env: { HOMEPORT_SESSION_TTL: '1h' } });
    await t.login();
    now += 2 * 3600_000;
    expect(await t.homeport.requireModule(ACCOUNTS).service.sweepExpiredSessions()).toBe(1);
  });
});

describe('register', () => {
  /** Registration is off unless the operator or an admin turns it on. */
  const OPEN = { env: { HOMEPORT_REGISTRATION_ENABLED: 'true' } };
  const register = (username: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username, password: 'long-enough-pw' },
    });

  it('is off on a fresh install: 403 registration_disabled, and the login page offers none', async () => {
    t = await buildTestHomeport();
    const response = await register('carol');
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('registration_disabled');
    const config = await t.app.inject({ url: '/api/v1/auth/config' });
    expect(config.json()).toEqual({ registrationEnabled: false, localLoginEnabled: true, oidc: null });
  });

  it('creates a member, signs them in, and refuses the same name in another case', async () => {
    t = await buildTestHomeport(OPEN);
    const created = await register('Alice_1');
    expect(created.statusCode).toBe(201);
    expect(created.json().user).toMatchObject({ username: 'Alice_1', role: 'member' });
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(created.json().token) });
    expect(me.json().username).toBe('Alice_1');
    const again = await register('alice_1');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('username_taken');
  });

  it.each([
    [{ username: 'ab', password: 'long-enough-pw' }, 'username'],
    [{ username: 'a'.repeat(65), password: 'long-enough-pw' }, 'username'],
    [{ username: 'bad name', password: 'long-enough-pw' }, 'username'],
    [{ username: 'bob', password: 'short' }, 'password'],
    [{ username: 'bob', password: 'é'.repeat(513) }, 'password'],
  ])('rejects %j with 400 naming %s', async (payload, field) => {
    t = await buildTestHomeport(OPEN);
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message.toLowerCase()).toContain(field);
  });

  it('is refused with 403 when the configuration turns it off', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_REGISTRATION_ENABLED: 'false' } });
    expect((await register('carol')).json().error.code).toBe('registration_disabled');
    const config = await t.app.inject({ url: '/api/v1/auth/config' });
    expect(config.json()).toEqual({ registrationEnabled: false, localLoginEnabled: true, oidc: null });
  });

  it('accepts the betterNAS name of the setting to turn it on', async () => {
    t = await buildTestHomeport({ env: { BETTERNAS_REGISTRATION_ENABLED: 'true' } });
    expect((await register('carol')).statusCode).toBe(201);
  });

  it('is turned on and off by an admin in Settings → Authentication', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const put = (registrationEnabled: boolean) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/v1/auth/settings',
        headers: bearer(admin),
        payload: { registrationEnabled },
      });
    const settings = await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(admin) });
    expect(settings.json()).toMatchObject({ registrationEnabled: false, managed: [] });

    const on = await put(true);
    expect(on.statusCode).toBe(200);
    expect(on.json().registrationEnabled).toBe(true);
    expect((await t.app.inject({ url: '/api/v1/auth/config' })).json().registrationEnabled).toBe(true);
    expect((await register('erin')).statusCode).toBe(201);

    expect((await put(false)).json().registrationEnabled).toBe(false);
    expect((await register('frank')).json().error.code).toBe('registration_disabled');
  });

  it('keeps what the configuration says: the page cannot change it (409 setting_managed)', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_REGISTRATION_ENABLED: 'false' } });
    const admin = await t.login();
    const settings = await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(admin) });
    expect(settings.json().managed).toContainEqual({
      field: 'registrationEnabled',
      source: 'env',
      name: 'HOMEPORT_REGISTRATION_ENABLED',
    });
    const refused = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/settings',
      headers: bearer(admin),
      payload: { registrationEnabled: true },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('setting_managed');
    expect(refused.json().error.message).toContain('HOMEPORT_REGISTRATION_ENABLED');
    expect((await register('carol')).json().error.code).toBe('registration_disabled');
  });
});

describe('CSRF', () => {
  it('refuses a cookie-authenticated mutation from another origin with 403', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      cookies: { homeport_session: token },
      headers: { origin: 'https://evil.example', host: 'localhost:8080' },
      payload: { name: 'stolen' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('csrf_rejected');
    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { homeport_session: token },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.statusCode).toBe(403);
    // The session survived both attempts.
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) })).statusCode).toBe(200);
  });

  it('allows the same mutation from our own origin, and with a bearer token from anywhere', async () => {
    t = await buildTestHomeport();
    const token = await t.login();
    const sameOrigin = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      cookies: { homeport_session: token },
      headers: { origin: 'http://localhost:8080', host: 'localhost:8080', 'sec-fetch-site': 'same-origin' },
      payload: { name: 'mine' },
    });
    expect(sameOrigin.statusCode).toBe(201);
    const bearerCall = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: { ...bearer(token), origin: 'https://elsewhere.example' },
      payload: { name: 'script' },
    });
    expect(bearerCall.statusCode).toBe(201);
  });

  it('refuses a login posted from another origin (login CSRF)', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://evil.example' },
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('API token expiry', () => {
  const create = (token: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/tokens',
      headers: bearer(token),
      payload: payload as object,
    });

  // Fastify's type coercion once turned each of these into null, which means "never expires".
  it.each([0, false, '', '1', true, '30', -1, 1.5, 3651])(
    'refuses expiresInDays %j with 400 instead of coercing it',
    async (expiresInDays) => {
      t = await buildTestHomeport();
      const session = await t.login();
      const response = await create(session, { name: 'x', expiresInDays });
      expect(response.statusCode).toBe(400);
      const listed = await t.app.inject({ url: '/api/v1/auth/tokens', headers: bearer(session) });
      expect(listed.json().tokens).toEqual([]);
    },
  );

  it('accepts null (never), a whole number of days, and the default when left out', async () => {
    t = await buildTestHomeport();
    const session = await t.login();
    const never = await create(session, { name: 'never', expiresInDays: null });
    expect(never.statusCode).toBe(201);
    expect(never.json().token.expiresAt).toBeNull();
    const week = await create(session, { name: 'week', expiresInDays: 7 });
    expect(week.statusCode).toBe(201);
    expect(typeof week.json().token.expiresAt).toBe('string');
    const usual = await create(session, { name: 'usual' });
    expect(usual.statusCode).toBe(201);
    expect(typeof usual.json().token.expiresAt).toBe('string');
  });
});

describe('restart', () => {
  it('keeps users and sessions across a restart on the same data dir', async () => {
    const first = await buildTestHomeport({ env: { HOMEPORT_REGISTRATION_ENABLED: 'true' } });
    const created = await first.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username: 'dave', password: 'long-enough-pw' },
    });
    const token = created.json().token as string;
    await first.close();
    t = await buildTestHomeport({ dataDir: first.dataDir });
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().username).toBe('dave');
    // The first admin is created once, not again.
    expect(
      (await t.homeport.requireModule(ACCOUNTS).service.listUsers()).map((user) => user.username).sort(),
    ).toEqual(['admin', 'dave']);
  });
});
