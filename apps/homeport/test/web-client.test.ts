// The web UI's API client against the real server (in-process, through inject, with a cookie jar as a
// browser keeps one): its calls and the shapes it expects are the server's, not hand-copied answers.

import { exportInput, NAS_BOOTSTRAP, nasEnv, nasHarness } from '@homeport/nas/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api/api-error.js';
import { createApiClient } from '../../web/src/api/client.js';
import { ADMIN_PASSWORD, buildApp, type TestApp } from './support/app.js';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

/** A fetch that hands each request to the app and keeps the cookies it sets, like a browser on one origin. */
function browserFetch(app: TestApp['app']): typeof fetch {
  const jar = new Map<string, string>();
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    // Same-origin requests carry Origin on unsafe methods: the server's CSRF check sees a real browser.
    headers.set('origin', 'http://localhost');
    headers.set('host', 'localhost');
    const response = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: String(input),
      headers: Object.fromEntries(headers),
      ...(init.body === undefined || init.body === null ? {} : { payload: String(init.body) }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    const body = response.statusCode === 204 ? null : response.rawPayload;
    return new Response(body, {
      status: response.statusCode,
      headers: Object.entries(response.headers).flatMap(([name, value]) =>
        value === undefined ? [] : [[name, String(value)] as [string, string]],
      ),
    });
  }) as typeof fetch;
}

describe('the web API client against the real server', () => {
  it('signs in with the cookie, reads who is signed in, manages tokens and users, signs out', async () => {
    t = await buildApp({ env: nasEnv() });
    const api = createApiClient({ fetch: browserFetch(t.app) });
    let lost = 0;
    api.onUnauthorized(() => {
      lost += 1;
    });

    expect(await api.auth.session()).toBeNull();
    const wrong = await api.auth
      .login({ username: 'admin', password: 'not-the-password' })
      .catch((error: unknown) => error);
    expect((wrong as ApiError).code).toBe('invalid_credentials');
    expect(lost).toBe(0); // a wrong password is not a lost session
    const signedIn = await api.auth.login({ username: 'admin', password: ADMIN_PASSWORD });
    expect(signedIn.user).toMatchObject({ username: 'admin', role: 'admin', status: 'active' });
    expect((await api.auth.me()).username).toBe('admin');

    const created = await api.tokens.create({ name: 'backup script' });
    expect(created.value.length).toBeGreaterThan(20);
    expect((await api.tokens.list()).map((token) => token.name)).toEqual(['backup script']);
    await api.tokens.revoke(created.token.id);
    expect(await api.tokens.list()).toEqual([]);

    const mia = await api.users.create({ username: 'mia', password: 'mia-password-123', role: 'member' });
    expect((await api.users.list()).map((user) => user.username).sort()).toEqual(['admin', 'mia']);
    const disabled = await api.users.update(mia.id, { status: 'disabled' });
    expect(disabled.status).toBe('disabled');

    const taken = await api.users
      .create({ username: 'MIA', password: 'another-password-1', role: 'member' })
      .catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(ApiError);
    expect((taken as ApiError).code).toBe('username_taken');

    await api.auth.logout();
    expect(await api.auth.session()).toBeNull();
    const after = await api.auth.me().catch((error: unknown) => error);
    expect((after as ApiError).status).toBe(401);
    expect(lost).toBe(0); // a "who am I" 401 is not a lost session
    const gone = await api.tokens.list().catch((error: unknown) => error);
    expect((gone as ApiError).status).toBe(401);
    expect(lost).toBe(1); // a call that needed the session is
  });

  it('lists storage, issues a mount profile and revokes its own credentials', async () => {
    t = await buildApp({ env: nasEnv() });
    const nas = nasHarness(() => t);
    const { node, nodeToken } = await nas.register(NAS_BOOTSTRAP);
    await nas.sync(node.id, nodeToken, [exportInput('/srv/photos', 'Photos')]);
    const api = createApiClient({ fetch: browserFetch(t.app) });
    await api.auth.login({ username: 'admin', password: ADMIN_PASSWORD });

    const [nodes, exports] = [await api.nas.listNodes(), await api.nas.listExports()];
    expect(nodes.map((item) => item.id)).toEqual([node.id]);
    const photos = exports.find((item) => item.label === 'Photos');
    expect(photos?.nasNodeId).toBe(node.id);
    const profile = await api.nas.issueMountProfile({ exportId: photos?.id ?? '' });
    expect(profile.credential.mode).toBe('basic-auth');
    expect((await api.nas.listMyCredentials()).map((item) => item.username)).toEqual([
      profile.credential.username,
    ]);
    expect(await api.nas.revokeMountCredentials({ exportId: photos?.id ?? '' })).toBe(1);
    expect(await api.nas.listMyCredentials()).toEqual([]);
  });
});
