// Drives Homeport's OIDC routes in-process (inject) against a real oidc-provider from the testkit: the
// browser's part at the provider is played by the provider helper's signIn().

import type { TestHomeport } from '@homeport/accounts/testing';
import type { OidcProviderInstance } from '@homeport/testkit';

export const PUBLIC_URL = 'http://homeport.test';
export const CALLBACK_URL = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
export const BINDING_COOKIE = 'homeport_oidc';

/** Env that configures Homeport's OIDC against the test provider, as an operator would. */
export function oidcEnv(
  idp: OidcProviderInstance,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    HOMEPORT_PUBLIC_URL: PUBLIC_URL,
    HOMEPORT_OIDC_ISSUER: idp.issuer,
    HOMEPORT_OIDC_CLIENT_ID: idp.clientId,
    HOMEPORT_OIDC_CLIENT_SECRET: idp.clientSecret,
    HOMEPORT_OIDC_SCOPES: 'openid,profile,email,groups',
    HOMEPORT_OIDC_DISPLAY_NAME: 'Test IdP',
    ...extra,
  };
}

export interface StartedLogin {
  /** The provider URL Homeport redirected to. */
  authorizationUrl: URL;
  /** The browser-binding cookie value Homeport set. */
  binding: string;
}

type InjectResponse = Awaited<ReturnType<TestHomeport['app']['inject']>>;

export function cookieValue(response: InjectResponse, name: string): string | undefined {
  return response.cookies.find((cookie) => cookie.name === name)?.value;
}

/** GET /api/v1/auth/oidc/login as a browser would (optionally with its existing cookies). */
export async function startLogin(
  t: TestHomeport,
  options: { returnTo?: string; binding?: string } = {},
): Promise<StartedLogin> {
  const response = await t.app.inject({
    url: '/api/v1/auth/oidc/login',
    ...(options.returnTo ? { query: { returnTo: options.returnTo } } : {}),
    ...(options.binding ? { cookies: { [BINDING_COOKIE]: options.binding } } : {}),
  });
  if (response.statusCode !== 302) throw new Error(`login start: ${response.statusCode} ${response.body}`);
  const location = String(response.headers.location);
  if (location.startsWith('/login')) throw new Error(`login start refused: ${location}`);
  const binding = cookieValue(response, BINDING_COOKIE) ?? options.binding;
  if (!binding) throw new Error('no binding cookie');
  return { authorizationUrl: new URL(location), binding };
}

/** The provider's redirect back, delivered to Homeport with the given cookies. */
export function deliverCallback(
  t: TestHomeport,
  back: URL,
  cookies: Record<string, string>,
): Promise<InjectResponse> {
  if (`${back.origin}${back.pathname}` !== CALLBACK_URL) throw new Error(`unexpected redirect ${back.href}`);
  return t.app.inject({ url: `${back.pathname}${back.search}`, cookies });
}

/** The whole sign-in: Homeport → provider login as `login` → callback. Returns the callback response. */
export async function signInWithOidc(
  t: TestHomeport,
  idp: OidcProviderInstance,
  login: string,
  options: { returnTo?: string } = {},
): Promise<InjectResponse> {
  const started = await startLogin(t, options);
  const back = await idp.signIn(started.authorizationUrl.href, login);
  return deliverCallback(t, back, { [BINDING_COOKIE]: started.binding });
}

/** Where a callback response sends the browser, and the `error` code when it is the login page. */
export function redirectOf(response: InjectResponse): { location: string; error: string | null } {
  const location = String(response.headers.location ?? '');
  return { location, error: new URL(location, PUBLIC_URL).searchParams.get('error') };
}
