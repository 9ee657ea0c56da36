// A real OpenID provider for tests: `oidc-provider` on a free 127.0.0.1 port with one confidential client,
// accounts whose claims the test chooses, and the library's development login page (any password).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { freePort } from './free-port.js';
import { register, unregister } from './process/registry.js';

export interface StartOidcProviderOptions {
  /** Redirect URIs registered for the client (exact match, as at a real provider). */
  redirectUris: readonly string[];
  /** Where the provider may send the browser after logout. */
  postLogoutRedirectUris?: readonly string[];
  /** Accounts by login name; `sub` defaults to the login. E.g. `{ alice: { groups: ['staff'], email: … } }`. */
  accounts: Record<string, Record<string, unknown>>;
  clientId?: string;
  /** Default: random. */
  clientSecret?: string;
  /**
   * Serve the provider under a path, e.g. `/application/o/homeport/` for an issuer shaped like Authentik's
   * (with its trailing slash). Default: the issuer is the origin itself.
   */
  issuerPath?: string;
}

export interface OidcProviderInstance {
  /** The issuer identifier: `http://127.0.0.1:<port>` plus `issuerPath`. */
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /**
   * Plays the browser at the provider without a browser: opens the authorization URL, signs in as `login` on
   * the development login page, and returns the URL the provider redirects back to (the client's callback
   * with `code` and `state`). Each call starts with no provider cookies, so it always shows the login page.
   */
  signIn(authorizationUrl: string, login: string): Promise<URL>;
  stop(): Promise<void>;
}

/**
 * @example
 *   const idp = await startOidcProvider({
 *     redirectUris: ['http://homeport.test/api/v1/auth/oidc/callback'],
 *     accounts: { alice: { preferred_username: 'alice', groups: ['staff'] } },
 *   });
 *   const back = await idp.signIn(loginRedirect, 'alice'); // → …/callback?code=…&state=…
 */
export async function startOidcProvider(options: StartOidcProviderOptions): Promise<OidcProviderInstance> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}${options.issuerPath ?? ''}`;
  const mount = (options.issuerPath ?? '').replace(/\/+$/, '');
  const clientId = options.clientId ?? 'homeport-test';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [...options.redirectUris],
        post_logout_redirect_uris: [...(options.postLogoutRedirectUris ?? [])],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx, sub) {
      const claims = options.accounts[sub];
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...claims }) };
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // Refuse any authorization request without PKCE, so a client that forgets it fails the tests.
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' }] },
    // A first-party client: grant what it asks for without a consent screen (the login page stays).
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const session = ctx.oidc.session;
      const client = ctx.oidc.client;
      if (!session?.accountId || !client) return undefined;
      const existing = session.grantIdFor(client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(String(ctx.oidc.params?.scope ?? 'openid'));
      await grant.save();
      return grant;
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    // Explicit lifetimes (seconds); the library prints a notice for each one left to its default.
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      Session: 3600,
    },
  };

  // Loaded on first use: importing oidc-provider costs every test file that imports the testkit a second of
  // start-up. Pinned to 8.x: 9.x supports only Node 22+ (it warns on import), and Homeport promises 20.19.
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith(mount)) {
      response.statusCode = 404;
      response.end();
      return;
    }
    // Mounted under a path: oidc-provider builds its endpoint URLs from originalUrl minus url.
    Object.assign(request, { originalUrl: url, url: url.slice(mount.length) || '/' });
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  const entry = {
    description: `oidc-provider (${issuer})`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  register(entry);

  return {
    issuer,
    port,
    clientId,
    clientSecret,
    signIn: (authorizationUrl, login) =>
      signInWithoutBrowser(new URL(issuer).origin, authorizationUrl, login),
    async stop() {
      unregister(entry);
      await entry.stop();
    },
  };
}

/** Follows redirects by hand with a cookie jar, submitting the login (and, if shown, consent) forms. */
async function signInWithoutBrowser(origin: string, authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const request = async (
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };

  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 12; hop += 1) {
    if (url.origin !== origin) return url;
    const response = await request(url.href);
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200)
      throw new Error(`provider answered ${response.status} at ${url.pathname}: ${html}`);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const form = new URLSearchParams(
      prompt === 'login' ? { prompt, login, password: 'any-password' } : { prompt: prompt ?? 'consent' },
    );
    const submitted = await request(url.href, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const next = submitted.headers.get('location');
    if (!next) throw new Error(`provider did not redirect after the ${prompt} form: ${submitted.status}`);
    url = new URL(next, url);
  }
  throw new Error('too many redirects at the provider');
}
