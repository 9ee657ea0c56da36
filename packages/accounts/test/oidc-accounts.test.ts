// What OIDC does to accounts: the Users list shows how each person signs in, admins unlink, people link
// their own provider account, and logout ends the provider's session too.

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
} from './support/oidc.js';

let idp: OidcProviderInstance;
let t: TestHomeport;

beforeAll(async () => {
  idp = await startOidcProvider({
    redirectUris: [CALLBACK_URL],
    postLogoutRedirectUris: [`${PUBLIC_URL}/login`],
    accounts: {
      alice: { preferred_username: 'alice' },
      'bob-at-idp': { preferred_username: 'bob.idp' },
    },
  });
});
afterEach(async () => {
  await t?.close();
});
afterAll(async () => {
  await stopAll();
});

interface ListedUser {
  id: string;
  username: string;
  signIn: {
    password: boolean;
    identities: { id: string; issuer: string; subject: string; displayName: string }[];
  };
}

const listUsers = async (admin: string): Promise<ListedUser[]> =>
  (await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) })).json().users;

const sessionOf = (response: Awaited<ReturnType<typeof signInWithOidc>>) => {
  const session = cookieValue(response, 'homeport_session');
  if (!session) throw new Error(`no session: ${String(response.headers.location)}`);
  return session;
};

describe('how users sign in', () => {
  it('lists password, provider or both for each user', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const admin = await t.login();
    await signInWithOidc(t, idp, 'alice');
    let alice = (await listUsers(admin)).find((user) => user.username === 'alice');
    expect(alice?.signIn).toEqual({
      password: false,
      identities: [
        expect.objectContaining({
          issuer: idp.issuer,
          subject: 'alice',
          displayName: 'alice',
          lastLoginAt: expect.any(String),
        }),
      ],
    });
    expect((await listUsers(admin)).find((user) => user.username === 'admin')?.signIn).toEqual({
      password: true,
      identities: [],
    });
    // An admin gives alice a password as well: she can now sign in both ways.
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${alice?.id}`,
      headers: bearer(admin),
      payload: { password: 'alice-password-too' },
    });
    alice = (await listUsers(admin)).find((user) => user.username === 'alice');
    expect(alice?.signIn.password).toBe(true);
    expect(alice?.signIn.identities).toHaveLength(1);
    expect(await t.login('alice', 'alice-password-too')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('unlinking ends the sessions opened through the provider and stops that sign-in', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const admin = await t.login();
    const session = sessionOf(await signInWithOidc(t, idp, 'alice'));
    // Used once, so anything remembered about it must be forgotten by the unlink too.
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: session } })).statusCode,
    ).toBe(200);
    const alice = (await listUsers(admin)).find((user) => user.username === 'alice');
    const identity = alice?.signIn.identities[0];
    const wrongUser = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${(await listUsers(admin))[0]?.id}/identities/${identity?.id}`,
      headers: bearer(admin),
    });
    expect(wrongUser.statusCode).toBe(404);
    expect(wrongUser.json().error.code).toBe('identity_not_found');

    const unlink = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${alice?.id}/identities/${identity?.id}`,
      headers: bearer(admin),
    });
    expect(unlink.statusCode).toBe(204);
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: session } })).statusCode,
    ).toBe(401);
    expect((await listUsers(admin)).find((user) => user.username === 'alice')?.signIn.identities).toEqual([]);
    // The provider account is no longer alice's: signing in again would make a new account, but the name is
    // taken, and Homeport never links by name.
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).error).toBe('oidc_username_taken');
  });
});

describe('linking my own account', () => {
  const startLink = (session: string, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/oidc/link',
      cookies: { homeport_session: session },
      headers,
    });

  it('links the provider account to the signed-in user, who can then sign in with it', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const admin = await t.login();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'bob', password: 'bob-local-password' },
    });
    const bob = await t.login('bob', 'bob-local-password');
    const started = await startLink(bob);
    expect(started.statusCode).toBe(200);
    const binding = cookieValue(started, BINDING_COOKIE) ?? '';
    const back = await idp.signIn(started.json().url, 'bob-at-idp');
    const linked = await deliverCallback(t, back, { [BINDING_COOKIE]: binding, homeport_session: bob });
    expect(redirectOf(linked).location).toBe('/settings/sign-in?linked=1');
    expect(cookieValue(linked, 'homeport_session')).toBeUndefined();

    const mine = await t.app.inject({ url: '/api/v1/auth/identities', headers: bearer(bob) });
    expect(mine.json()).toEqual({
      password: true,
      identities: [
        expect.objectContaining({ issuer: idp.issuer, subject: 'bob-at-idp', displayName: 'bob.idp' }),
      ],
    });
    const viaIdp = sessionOf(await signInWithOidc(t, idp, 'bob-at-idp'));
    const me = await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: viaIdp } });
    expect(me.json().username).toBe('bob');
  });

  it('refuses to link a provider account that is linked to someone else', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    await signInWithOidc(t, idp, 'alice');
    const admin = await t.login();
    const started = await startLink(admin);
    const back = await idp.signIn(started.json().url, 'alice');
    const refused = await deliverCallback(t, back, {
      [BINDING_COOKIE]: cookieValue(started, BINDING_COOKIE) ?? '',
      homeport_session: admin,
    });
    expect(redirectOf(refused)).toEqual({
      location: '/settings/sign-in?error=oidc_identity_in_use',
      error: 'oidc_identity_in_use',
    });
  });

  it('cannot be started from another site, or with an API token', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const admin = await t.login();
    const foreign = await startLink(admin, { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error.code).toBe('csrf_rejected');
    const token = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/tokens',
        headers: bearer(admin),
        payload: { name: 'script' },
      })
    ).json().value;
    const withToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/oidc/link',
      headers: bearer(token),
    });
    expect(withToken.statusCode).toBe(403);
  });
});

describe('logout', () => {
  it("of a provider session answers the provider's end-session URL, which the provider accepts", async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const session = sessionOf(await signInWithOidc(t, idp, 'alice'));
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { homeport_session: session },
    });
    expect(out.statusCode).toBe(200);
    const url = new URL(out.json().endSessionUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/session/end`);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${PUBLIC_URL}/login`);
    expect(url.searchParams.get('client_id')).toBe(idp.clientId);
    expect(url.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);
    expect(String(out.headers['set-cookie'])).toMatch(/homeport_session=;/);
    expect(
      (await t.app.inject({ url: '/api/v1/auth/me', cookies: { homeport_session: session } })).statusCode,
    ).toBe(401);
    // The provider recognises the hint and the registered redirect: it shows its sign-out confirmation.
    const confirm = await fetch(url);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('logout');
  });

  it('of a password session still answers 204', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp) });
    const session = await t.login();
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: { homeport_session: session },
    });
    expect(out.statusCode).toBe(204);
  });
});
