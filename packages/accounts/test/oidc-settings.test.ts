// Settings → Authentication over HTTP: saving OIDC from the page, values from env winning, the sealed client
// secret never leaving the server, and the rule that no change may lock every admin out.

import { ADMIN_PASSWORD, bearer, buildTestHomeport, type TestHomeport } from '@homeport/accounts/testing';
import { type OidcProviderInstance, startOidcProvider, stopAll } from '@homeport/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLBACK_URL,
  cookieValue,
  oidcEnv,
  PUBLIC_URL,
  redirectOf,
  signInWithOidc,
} from './support/oidc.js';

let idp: OidcProviderInstance;
/** Another provider, to switch to. */
let otherIdp: OidcProviderInstance;
/** A provider whose issuer ends in a slash, as Authentik's do. */
let slashIdp: OidcProviderInstance;
let t: TestHomeport;

beforeAll(async () => {
  idp = await startOidcProvider({
    redirectUris: [CALLBACK_URL],
    accounts: {
      alice: {
        preferred_username: 'alice',
        email: 'alice@example.com',
        email_verified: true,
        groups: ['staff'],
      },
      mallory: {
        preferred_username: 'mallory',
        email: 'mallory@evil.example',
        email_verified: true,
        groups: [],
      },
      eve: { preferred_username: 'eve', email: 'eve@example.com', email_verified: false, groups: [] },
      carol: { preferred_username: 'carol', email: 'Carol@Example.com', email_verified: true, groups: [] },
    },
  });
  otherIdp = await startOidcProvider({ redirectUris: [CALLBACK_URL], accounts: {} });
  slashIdp = await startOidcProvider({
    redirectUris: [CALLBACK_URL],
    issuerPath: '/application/o/homeport/',
    accounts: { alice: { preferred_username: 'alice' } },
  });
});
afterEach(async () => {
  await t?.close();
});
afterAll(async () => {
  await stopAll();
});

/** What an admin types into Settings → Authentication to connect the test provider. */
const pageSettings = () => ({
  oidc: {
    enabled: true,
    displayName: 'Test IdP',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    scopes: ['openid', 'profile', 'email', 'groups'],
  },
});

const put = (token: string, payload: unknown) =>
  t.app.inject({
    method: 'PUT',
    url: '/api/v1/auth/settings',
    headers: bearer(token),
    payload: payload as object,
  });

const promote = async (admin: string, username: string) => {
  const users = (await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) })).json().users as {
    id: string;
    username: string;
  }[];
  const user = users.find((item) => item.username === username);
  const response = await t.app.inject({
    method: 'PATCH',
    url: `/api/v1/users/${user?.id}`,
    headers: bearer(admin),
    payload: { role: 'admin' },
  });
  expect(response.statusCode).toBe(200);
  return user?.id ?? '';
};

describe('authentication settings', () => {
  it('connects a provider from the page: the login page offers it and sign-in works', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    const before = await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(admin) });
    expect(before.json()).toMatchObject({
      localLoginEnabled: true,
      registrationEnabled: false,
      oidc: {
        enabled: false,
        issuer: null,
        clientSecretSet: false,
        scopes: ['openid', 'profile', 'email'],
        usernameClaim: 'preferred_username',
        groupsClaim: 'groups',
        unknownUsers: 'create',
        redirectUri: CALLBACK_URL,
        postLogoutRedirectUri: `${PUBLIC_URL}/login`,
      },
      managed: [],
    });
    const saved = await put(admin, pageSettings());
    expect(saved.statusCode).toBe(200);
    expect(saved.json().oidc).toMatchObject({ enabled: true, issuer: idp.issuer, clientSecretSet: true });
    expect((await t.app.inject({ url: '/api/v1/auth/config' })).json().oidc).toEqual({
      displayName: 'Test IdP',
      loginUrl: '/api/v1/auth/oidc/login',
    });
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
  });

  it('is for admins only', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'member1', password: 'member-password' },
    });
    const member = await t.login('member1', 'member-password');
    expect((await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(member) })).statusCode).toBe(
      403,
    );
    expect((await put(member, { localLoginEnabled: false })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/auth/settings' })).statusCode).toBe(401);
  });

  it('refuses to turn OIDC on when the discovery document cannot be read (422)', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const response = await put(admin, {
      oidc: { ...pageSettings().oidc, issuer: 'http://127.0.0.1:9/realms/nothing-here' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.code).toBe('oidc_misconfigured');
    expect(response.json().error.message).toContain('http://127.0.0.1:9/realms/nothing-here');
    expect((await t.app.inject({ url: '/api/v1/auth/config' })).json().oidc).toBeNull();
  });

  it('names the field of an invalid value', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    for (const [oidc, field] of [
      [{ issuer: 'http://sso.example.com' }, 'oidc.issuer'],
      [{ issuer: 'not a url' }, 'oidc.issuer'],
      [{ scopes: ['openid', 'bad"scope'] }, 'oidc.scopes'],
      [{ allowedEmailDomains: ['not a domain'] }, 'oidc.allowedEmailDomains'],
      [{ usernameClaim: 'has space' }, 'oidc.usernameClaim'],
      [{ enabled: true }, 'oidc.issuer'],
    ] as const) {
      const response = await put(admin, { oidc });
      expect(response.statusCode, `${JSON.stringify(oidc)} ${response.body}`).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'invalid_request', field });
    }
    expect((await put(admin, { oidc: { unknownUsers: 'maybe' } })).statusCode).toBe(400);
  });

  it('accepts a pasted discovery URL and saves the issuer exactly as the provider names it', async () => {
    t = await buildTestHomeport();
    const admin = await t.login();
    const pasted = await put(admin, {
      oidc: { ...pageSettings().oidc, issuer: `${idp.issuer}/.well-known/openid-configuration` },
    });
    expect(pasted.statusCode).toBe(200);
    expect(pasted.json().oidc.issuer).toBe(idp.issuer);
    // Authentik's issuers end in a slash that the discovery URL does not show; the provider's own
    // discovery document decides (here the provider has none, so the slash goes).
    const slashed = await put(admin, { oidc: { issuer: `${idp.issuer}/` } });
    expect(slashed.statusCode).toBe(200);
    expect(slashed.json().oidc.issuer).toBe(idp.issuer);
  });

  it('keeps the trailing slash of an Authentik-style issuer pasted as its discovery URL, and signs in', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect(slashIdp.issuer).toMatch(/\/application\/o\/homeport\/$/);
    const saved = await put(admin, {
      oidc: {
        enabled: true,
        issuer: `${slashIdp.issuer}.well-known/openid-configuration`,
        clientId: slashIdp.clientId,
        clientSecret: slashIdp.clientSecret,
      },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().oidc.issuer).toBe(slashIdp.issuer);
    expect(redirectOf(await signInWithOidc(t, slashIdp, 'alice')).location).toBe('/');
  });

  it('shows values from env as managed, refuses to change them, and accepts them sent back unchanged', async () => {
    t = await buildTestHomeport({ env: oidcEnv(idp, { HOMEPORT_OIDC_ALLOWED_GROUPS: 'staff' }) });
    const admin = await t.login();
    const settings = (await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(admin) })).json();
    expect(settings.oidc).toMatchObject({ enabled: true, issuer: idp.issuer, allowedGroups: ['staff'] });
    expect(settings.managed).toEqual(
      expect.arrayContaining([
        { field: 'oidc.issuer', source: 'env', name: 'HOMEPORT_OIDC_ISSUER' },
        { field: 'oidc.clientSecret', source: 'env', name: 'HOMEPORT_OIDC_CLIENT_SECRET' },
        { field: 'oidc.allowedGroups', source: 'env', name: 'HOMEPORT_OIDC_ALLOWED_GROUPS' },
      ]),
    );
    expect(settings.managed.map((item: { field: string }) => item.field)).not.toContain('oidc.enabled');

    const change = await put(admin, { oidc: { issuer: 'https://other.example.com' } });
    expect(change.statusCode).toBe(409);
    expect(change.json().error).toMatchObject({ code: 'setting_managed', field: 'oidc.issuer' });
    expect(change.json().error.message).toContain('HOMEPORT_OIDC_ISSUER');
    expect((await put(admin, { oidc: { clientSecret: 'new-secret' } })).statusCode).toBe(409);

    const same = await put(admin, {
      oidc: { issuer: idp.issuer, allowedGroups: ['staff'], unknownUsers: 'refuse' },
    });
    expect(same.statusCode).toBe(200);
    expect(same.json().oidc.unknownUsers).toBe('refuse');
  });

  it('refuses an invalid OIDC setting in the environment at start, naming it', async () => {
    await expect(
      buildTestHomeport({ env: { HOMEPORT_OIDC_ISSUER: 'http://sso.example.com' } }),
    ).rejects.toThrow(/HOMEPORT_OIDC_ISSUER: must be an https:\/\/ URL/);
  });
});

describe('allowed groups and email domains', () => {
  const settingsWith = (rules: object) => ({ oidc: { ...pageSettings().oidc, ...rules } });

  it('lets in a member of an allowed group, refuses others with oidc_not_allowed and creates no account', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect((await put(admin, settingsWith({ allowedGroups: ['staff'] }))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
    const refused = await signInWithOidc(t, idp, 'mallory');
    expect(redirectOf(refused)).toEqual({
      location: '/login?error=oidc_not_allowed',
      error: 'oidc_not_allowed',
    });
    expect(cookieValue(refused, 'homeport_session')).toBeUndefined();
    const names = (await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) }))
      .json()
      .users.map((user: { username: string }) => user.username);
    expect(names).toEqual(['admin', 'alice']);
    // The log says why, for the admin; the page only gets the code.
    expect(t.logs.join('\n')).toContain('This Homeport only lets in a member of \\"staff\\"');
  });

  it('lets in a verified email of an allowed domain (any letter case), not an unverified one', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect((await put(admin, settingsWith({ allowedEmailDomains: ['@example.com'] }))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'carol')).location).toBe('/');
    expect(redirectOf(await signInWithOidc(t, idp, 'eve')).error).toBe('oidc_not_allowed');
    expect(redirectOf(await signInWithOidc(t, idp, 'mallory')).error).toBe('oidc_not_allowed');
  });

  it('applies the rules again at every sign-in of an already linked account', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect((await put(admin, settingsWith({}))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'mallory')).location).toBe('/');
    expect((await put(admin, settingsWith({ allowedGroups: ['staff'] }))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'mallory')).error).toBe('oidc_not_allowed');
  });

  it('with unknown users refused, a first sign-in without a linked account is refused (oidc_not_linked)', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect((await put(admin, settingsWith({ unknownUsers: 'refuse' }))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).error).toBe('oidc_not_linked');
  });

  it('never takes over a local account with the same name (oidc_username_taken)', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin),
      payload: { username: 'Alice', password: 'alice-local-password' },
    });
    expect((await put(admin, settingsWith({}))).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).error).toBe('oidc_username_taken');
  });
});

describe('admin lockout', () => {
  it('refuses to turn password sign-in off while no admin can sign in through OIDC', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    const noOidc = await put(admin, { localLoginEnabled: false });
    expect(noOidc.statusCode).toBe(409);
    expect(noOidc.json().error.code).toBe('admin_lockout');

    expect((await put(admin, pageSettings())).statusCode).toBe(200);
    const noOidcAdmin = await put(admin, { localLoginEnabled: false });
    expect(noOidcAdmin.statusCode).toBe(409);
    expect(noOidcAdmin.json().error.message).toContain('no active admin has signed in with Test IdP');

    // A member who signs in with the provider does not count…
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
    expect((await put(admin, { localLoginEnabled: false })).statusCode).toBe(409);
    // …an admin does.
    await promote(admin, 'alice');
    const off = await put(admin, { localLoginEnabled: false });
    expect(off.statusCode).toBe(200);
    expect(off.json().localLoginEnabled).toBe(false);

    expect((await t.app.inject({ url: '/api/v1/auth/config' })).json()).toEqual({
      registrationEnabled: false,
      localLoginEnabled: false,
      oidc: { displayName: 'Test IdP', loginUrl: '/api/v1/auth/oidc/login' },
    });
    const password = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    expect(password.statusCode).toBe(403);
    expect(password.json().error.code).toBe('local_login_disabled');
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { username: 'newbie', password: 'newbie-password' },
    });
    expect(register.json().error.code).toBe('local_login_disabled');
  });

  it('then refuses to demote, disable or unlink the last admin who can sign in, or to turn OIDC off', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    expect((await put(admin, pageSettings())).statusCode).toBe(200);
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
    const aliceId = await promote(admin, 'alice');
    expect((await put(admin, { localLoginEnabled: false })).statusCode).toBe(200);

    const patch = (payload: object) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${aliceId}`, headers: bearer(admin), payload });
    for (const payload of [{ role: 'member' }, { status: 'disabled' }]) {
      const response = await patch(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(409);
      expect(response.json().error.code).toBe('admin_lockout');
    }
    const users = (await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) })).json().users;
    const identity = users.find((user: { id: string }) => user.id === aliceId).signIn.identities[0];
    const unlink = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/users/${aliceId}/identities/${identity.id}`,
      headers: bearer(admin),
    });
    expect(unlink.statusCode).toBe(409);
    expect(unlink.json().error.code).toBe('admin_lockout');
    for (const payload of [
      { oidc: { enabled: false } },
      { oidc: { allowedGroups: ['admins-only'] } },
      { oidc: { issuer: otherIdp.issuer, clientId: otherIdp.clientId, clientSecret: otherIdp.clientSecret } },
    ]) {
      const response = await put(admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(409);
      expect(response.json().error.code).toBe('admin_lockout');
    }
    // Turning password sign-in back on lifts every one of these restrictions.
    expect((await put(admin, { localLoginEnabled: true })).statusCode).toBe(200);
    expect((await patch({ role: 'member' })).statusCode).toBe(200);
  });
});

describe('client secret', () => {
  it('is stored sealed, never returned, and never logged', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    const bodies: string[] = [];
    const saved = await put(admin, pageSettings());
    bodies.push(saved.body);
    bodies.push((await t.app.inject({ url: '/api/v1/auth/settings', headers: bearer(admin) })).body);
    bodies.push((await t.app.inject({ url: '/api/v1/auth/config' })).body);
    bodies.push((await t.app.inject({ url: '/api/v1/openapi.json' })).body);
    const login = await signInWithOidc(t, idp, 'alice');
    bodies.push(login.body, JSON.stringify(login.headers));
    bodies.push((await t.app.inject({ url: '/api/v1/users', headers: bearer(admin) })).body);

    for (const body of bodies) expect(body).not.toContain(idp.clientSecret);
    expect(t.logs.join('\n')).not.toContain(idp.clientSecret);
    const stored = String(t.homeport.sqlite().prepare('SELECT value FROM auth_settings').pluck().get());
    expect(stored).not.toContain(idp.clientSecret);
    expect(JSON.parse(stored).oidc.clientSecretSealed).toMatch(/^v1\./);
  });

  it('keeps the secret when the page sends none, and removes it with null', async () => {
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL } });
    const admin = await t.login();
    await put(admin, pageSettings());
    const kept = await put(admin, { oidc: { displayName: 'Renamed' } });
    expect(kept.json().oidc).toMatchObject({ clientSecretSet: true, displayName: 'Renamed' });
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
    // Without the secret the provider refuses the code exchange (it is a confidential client).
    const cleared = await put(admin, { oidc: { clientSecret: null } });
    expect(cleared.json().oidc.clientSecretSet).toBe(false);
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).error).toBe('oidc_provider_error');
  });

  it('is encrypted with HOMEPORT_SECRET_KEY when set; another key cannot read it and says so', async () => {
    const key = 'k'.repeat(40);
    t = await buildTestHomeport({ env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL, HOMEPORT_SECRET_KEY: key } });
    const admin = await t.login();
    expect((await put(admin, pageSettings())).statusCode).toBe(200);
    const dataDir = t.dataDir;
    await t.close();

    t = await buildTestHomeport({
      dataDir,
      env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL, HOMEPORT_SECRET_KEY: 'x'.repeat(40) },
    });
    const response = await signInWithOidc(t, idp, 'alice').catch((error: Error) => error);
    // The redirect to the provider already needs the secret (discovery is keyed by it): refused up front.
    expect(String(response instanceof Error ? response.message : redirectOf(response).error)).toContain(
      'oidc_misconfigured',
    );
    expect(t.logs.join('\n')).toContain('cannot be decrypted');

    await t.close();
    t = await buildTestHomeport({
      dataDir,
      env: { HOMEPORT_PUBLIC_URL: PUBLIC_URL, HOMEPORT_SECRET_KEY: key },
    });
    expect(redirectOf(await signInWithOidc(t, idp, 'alice')).location).toBe('/');
  });
});
