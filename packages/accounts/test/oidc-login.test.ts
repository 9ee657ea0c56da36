// Sign-in through a real OpenID provider (oidc-provider on loopback): account creation and reuse, the
// authorization request Homeport sends, and refusal of forged, replayed or cross-browser answers.

import { bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { type OidcProviderInstance, startOidcProvider, stopAll } from '@homeport/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BINDING_COOKIE,
  CALLBACK_URL,
  cookieValue,
  deliverCallback,
  oidcEnv,
  PUBLIC_URL,
  redirectOf,
  signInWithOidc,
  startLogin,
} from './support/oidc.js';

let idp: OidcProviderInstance;
let t: TestHomeport;

beforeAll(async () => {
  idp = await startOidcProvider({
    redirectUris: [CALLBACK_URL],
    postLogoutRedirectUris: [`${PUBLIC_URL}/login`],
    accounts: {
      alice: {
        preferred_username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        groups: ['staff'],
      },
      'bob-sub': { preferred_username: 'Bob.Builder', groups: ['staff'] },
    },
  });
});
afterEach(async () => {
  await t?.close();
});
afterAll(async () => {
  await stopAll();
});

const users = async (t: TestHomeport) => {
  const token = await t.login();
  const response = await t.app.inject({ url: '/api/v1/users', headers: bearer(token) });
  return response.json().users as {
    username: string;
    role: string;
    signIn: { password: boolean; identities: { issuer: string; subject: string }[] };
  }[];
};

describe('OIDC sign-in', () => {
  it('creates a member on the first sign-in, sets the session cookie and lands on the shell', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const response = await signInWithOidc(t, idp, 'alice');
    expect(redirectOf(response)).toEqual({ location: '/', error: null });
    const session = cookieValue(response, 'homeport_session');
    expect(session).toMatch(/^[0-9a-f]{64}$/);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/homeport_session=[0-9a-f]{64}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax/);

    const me = await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: session ?? '' } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', role: 'member', status: 'active' });

    const alice = (await users(t)).find((user) => user.username === 'alice');
    expect(alice?.signIn).toEqual({
      password: false,
      identities: [expect.objectContaining({ issuer: idp.issuer, subject: 'alice' })],
    });
  });

  it('reuses the linked account on a second sign-in instead of creating another', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const first = await signInWithOidc(t, idp, 'alice');
    const second = await signInWithOidc(t, idp, 'alice');
    expect(redirectOf(second).location).toBe('/');
    expect(cookieValue(second, 'homeport_session')).not.toBe(cookieValue(first, 'homeport_session'));
    const list = await users(t);
    expect(list.map((user) => user.username).sort()).toEqual(['admin', 'alice']);
  });

  it('makes a username Homeport accepts from the claim, and identifies the person by subject', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    expect(redirectOf(await signInWithOidc(t, idp, 'bob-sub')).location).toBe('/');
    const bob = (await users(t)).find((user) => user.username === 'Bob-Builder');
    expect(bob?.signIn.identities[0]).toMatchObject({ subject: 'bob-sub' });
  });

  it('returns to the page the sign-in started from, but never to another site', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    expect(redirectOf(await signInWithOidc(t, idp, 'alice', { returnTo: '/settings/tokens' })).location).toBe(
      '/settings/tokens',
    );
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      expect(redirectOf(await signInWithOidc(t, idp, 'alice', { returnTo: evil })).location).toBe('/');
    }
  });

  it('asks the provider for a code with PKCE S256, a fresh state and nonce, and the public redirect URI', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const a = await startLogin(t);
    const b = await startLogin(t);
    const params = a.authorizationUrl.searchParams;
    expect(`${a.authorizationUrl.origin}${a.authorizationUrl.pathname}`).toBe(`${idp.issuer}/auth`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(idp.clientId);
    expect(params.get('redirect_uri')).toBe(CALLBACK_URL);
    expect(params.get('scope')).toBe('openid profile email groups');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const name of ['state', 'nonce', 'code_challenge'])
      expect(b.authorizationUrl.searchParams.get(name)).not.toBe(params.get(name));
    // The state is not stored in the clear: only its hash is.
    const stored = t.homeport.sqlite().prepare('SELECT state_hash FROM oidc_login_attempts').pluck().all();
    expect(stored).toHaveLength(2);
    expect(stored).not.toContain(params.get('state'));
  });

  it('sets a short-lived HttpOnly binding cookie scoped to the OIDC routes', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const response = await t.app.inject({ url: '/api/v1/auth/oidc/login' });
    const cookie = response.cookies.find((item) => item.name === BINDING_COOKIE);
    expect(cookie).toMatchObject({ path: '/api/v1/auth/oidc', httpOnly: true, sameSite: 'Lax', maxAge: 600 });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('OIDC callback refusals', () => {
  /** Why the last code exchange failed, as logged (to prove a refusal happened for the stated reason). */
  const exchangeFailure = (t: TestHomeport) =>
    t.logs.filter((line) => line.includes('OIDC code exchange failed')).at(-1) ?? '';

  const expectRefused = (response: Awaited<ReturnType<typeof deliverCallback>>, code: string) => {
    expect(response.statusCode).toBe(302);
    expect(redirectOf(response)).toEqual({ location: `/login?error=${code}`, error: code });
    expect(cookieValue(response, 'homeport_session')).toBeUndefined();
  };

  it('refuses a replayed callback (same state and code)', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const started = await startLogin(t);
    const back = await idp.signIn(started.authorizationUrl.href, 'alice');
    const first = await deliverCallback(t, back, { [BINDING_COOKIE]: started.binding });
    expect(redirectOf(first).location).toBe('/');
    expectRefused(
      await deliverCallback(t, back, { [BINDING_COOKIE]: started.binding }),
      'oidc_state_invalid',
    );
  });

  it('refuses a forged state and a missing state', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const started = await startLogin(t);
    const back = await idp.signIn(started.authorizationUrl.href, 'alice');
    const forged = new URL(back);
    forged.searchParams.set('state', 'A'.repeat(43));
    expectRefused(
      await deliverCallback(t, forged, { [BINDING_COOKIE]: started.binding }),
      'oidc_state_invalid',
    );
    const missing = new URL(back);
    missing.searchParams.delete('state');
    expectRefused(
      await deliverCallback(t, missing, { [BINDING_COOKIE]: started.binding }),
      'oidc_state_invalid',
    );
  });

  it('refuses an answer delivered to a browser that did not start the sign-in (login CSRF)', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    // The attacker starts a sign-in in their own browser and sends the callback link to the victim.
    const attacker = await startLogin(t);
    const back = await idp.signIn(attacker.authorizationUrl.href, 'alice');
    const victim = await startLogin(t);
    expectRefused(await deliverCallback(t, back, {}), 'oidc_state_invalid');
    const withOwnCookie = await startLogin(t);
    expect(withOwnCookie.binding).not.toBe(attacker.binding);
    expectRefused(await deliverCallback(t, back, { [BINDING_COOKIE]: victim.binding }), 'oidc_state_invalid');
  });

  it('never adopts a binding cookie the browser brings (a planted cookie gives the attacker nothing)', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    // An attacker who can set cookies for this site plants a value they know…
    const planted = 'p'.repeat(43);
    const victim = await startLogin(t, { binding: planted });
    // …but the sign-in is bound to a fresh value, and the planted one finishes nothing.
    expect(victim.binding).not.toBe(planted);
    expect(victim.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const back = await idp.signIn(victim.authorizationUrl.href, 'alice');
    expectRefused(await deliverCallback(t, back, { [BINDING_COOKIE]: planted }), 'oidc_state_invalid');
  });

  it('refuses a forged code, and a real code issued for another sign-in (PKCE)', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const one = await startLogin(t);
    const forged = new URL(await idp.signIn(one.authorizationUrl.href, 'alice'));
    forged.searchParams.set('code', 'forged-code');
    expectRefused(await deliverCallback(t, forged, { [BINDING_COOKIE]: one.binding }), 'oidc_provider_error');
    expect(exchangeFailure(t)).toContain('(provider: invalid_grant)');

    // Two sign-ins from one browser: swap the code of the first into the answer to the second.
    const a = await startLogin(t);
    const b = await startLogin(t, { binding: a.binding });
    const backA = await idp.signIn(a.authorizationUrl.href, 'alice');
    const backB = await idp.signIn(b.authorizationUrl.href, 'alice');
    const swapped = new URL(backB);
    swapped.searchParams.set('code', backA.searchParams.get('code') ?? '');
    // The browser holds the binding of the sign-in it started last.
    expectRefused(await deliverCallback(t, swapped, { [BINDING_COOKIE]: b.binding }), 'oidc_provider_error');
    // The provider refuses: the code was bound to the first sign-in's code_challenge.
    expect(exchangeFailure(t)).toContain('(provider: invalid_grant)');
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const started = await startLogin(t);
    // As if an attacker replayed an authorization made for another request: the provider signs a token
    // carrying a nonce Homeport never issued for this state.
    const tampered = new URL(started.authorizationUrl);
    tampered.searchParams.set('nonce', 'n'.repeat(43));
    const back = await idp.signIn(tampered.href, 'alice');
    expectRefused(
      await deliverCallback(t, back, { [BINDING_COOKIE]: started.binding }),
      'oidc_provider_error',
    );
    expect(exchangeFailure(t)).toContain('unexpected ID Token \\"nonce\\" claim value');
  });

  it('refuses an answer that arrives after the attempt expired', async () => {
    let now = Date.now();
    t = await buildTestHomeport({ env: oidcEnv(idp), clock: () => now });
    const started = await startLogin(t);
    const back = await idp.signIn(started.authorizationUrl.href, 'alice');
    now += 11 * 60_000;
    expectRefused(
      await deliverCallback(t, back, { [BINDING_COOKIE]: started.binding }),
      'oidc_state_invalid',
    );
  });

  it('passes on a refusal by the provider (the person cancelled) as oidc_denied', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const started = await startLogin(t);
    const state = started.authorizationUrl.searchParams.get('state') ?? '';
    const back = new URL(
      `${CALLBACK_URL}?error=access_denied&state=${state}&iss=${encodeURIComponent(idp.issuer)}`,
    );
    expectRefused(await deliverCallback(t, back, { [BINDING_COOKIE]: started.binding }), 'oidc_denied');
  });

  it('redirects to the login page with oidc_disabled when OIDC is off', async () => {
    t = await buildTestHomeport();
    const response = await t.app.inject({ url: '/api/v1/auth/oidc/login' });
    expect(redirectOf(response)).toEqual({ location: '/login?error=oidc_disabled', error: 'oidc_disabled' });
    const config = await t.app.inject({ url: '/api/v1/auth/config' });
    expect(config.json()).toEqual({ registrationEnabled: false, localLoginEnabled: true, oidc: null });
  });

  it('offers the provider on the login page when OIDC is on', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const config = await t.app.inject({ url: '/api/v1/auth/config' });
    expect(config.json()).toEqual({
      registrationEnabled: false,
      localLoginEnabled: true,
      oidc: { displayName: 'Test IdP', loginUrl: '/api/v1/auth/oidc/login' },
    });
  });
});
