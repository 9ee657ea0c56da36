// /api/v1/auth/oidc: the redirect to the provider and its callback (top-level browser navigations, so
// failures redirect to a page that explains them instead of answering JSON), linking, and my identities.

import { type HttpApp, selfOrigin, Type } from '@homeport/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { setCookie } from '../cookies.js';
import { AccountsError } from '../errors.js';
import { setSessionCookie } from './auth-routes.js';
import { type RouteDeps, signedInUser } from './deps.js';
import { ErrorBody, Identity } from './schemas.js';

/**
 * Binds a login attempt to the browser that started it: the callback is refused without it, so a link with
 * someone else's code and state (login CSRF) does nothing. Scoped to the OIDC routes, gone after 10 minutes.
 */
export const OIDC_BINDING_COOKIE = 'homeport_oidc';
const BINDING_PATH = '/api/v1/auth/oidc';
const BINDING_MAX_AGE_SECONDS = 600;
/** The callback's route under the module's prefix, and its full path (the redirect URI to register). */
const CALLBACK_ROUTE = '/auth/oidc/callback';
const CALLBACK_PATH = `/api/v1${CALLBACK_ROUTE}`;

const Redirect = Type.Null({ description: 'Redirect (see Location)' });

export function registerOidcRoutes(app: HttpApp, deps: RouteDeps): void {
  const { guards, oidc } = deps;
  const tags = ['auth'];

  const baseUrl = (request: FastifyRequest) => deps.publicUrl ?? selfOrigin(request, undefined);
  const redirectUri = (request: FastifyRequest) => `${baseUrl(request)}${CALLBACK_PATH}`;

  const setBinding = (reply: FastifyReply, binding: string) => {
    setCookie(reply, OIDC_BINDING_COOKIE, binding, {
      path: BINDING_PATH,
      httpOnly: true,
      // Lax: the provider's redirect back is a cross-site top-level GET, which Lax cookies go along with.
      sameSite: 'lax',
      secure: deps.secureCookies,
      maxAge: BINDING_MAX_AGE_SECONDS,
    });
  };

  /** Sends the browser to a page of the web UI that explains `error` by its code. */
  const redirectWithError = (request: FastifyRequest, reply: FastifyReply, page: string, error: unknown) => {
    let code = 'oidc_failed';
    if (error instanceof AccountsError) code = error.code;
    else request.log.error({ err: error }, 'OIDC sign-in failed unexpectedly');
    if (error instanceof AccountsError)
      request.log.info({ code, reason: error.message }, 'OIDC sign-in refused');
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${page}?error=${encodeURIComponent(code)}`, 302);
  };

  app.get(
    '/auth/oidc/login',
    {
      schema: {
        tags,
        summary: 'Start signing in with the OpenID provider (a browser navigation)',
        description:
          'Redirects to the provider with an authorization code request (PKCE S256, state, nonce). ' +
          'When OIDC is off or the provider cannot be reached, redirects to /login?error=<code>.',
        querystring: Type.Object({
          returnTo: Type.Optional(Type.String({ maxLength: 512, description: 'Path to open after sign-in' })),
        }),
        response: { 302: Redirect },
      },
    },
    async (request, reply) => {
      try {
        const { url, binding } = await oidc.begin({
          intent: 'login',
          returnTo: request.query.returnTo,
          redirectUri: redirectUri(request),
        });
        setBinding(reply, binding);
        return reply.header('cache-control', 'no-store').redirect(url, 302);
      } catch (error) {
        return redirectWithError(request, reply, '/login', error);
      }
    },
  );

  app.get(
    CALLBACK_ROUTE,
    {
      schema: {
        tags,
        summary: 'Where the provider sends the browser back (the redirect URI to register)',
        description:
          'Checks state (single use, bound to this browser), PKCE and nonce, then links or creates the account ' +
          'and sets the same session cookie as a password login. Redirects to the page the sign-in started ' +
          'from, or on failure to /login?error=<code> (/settings/sign-in?error=<code> when linking).',
        response: { 302: Redirect },
      },
    },
    async (request, reply) => {
      // The provider's parameters exactly as sent: openid-client checks them (iss, state, code).
      const query = new URLSearchParams(
        request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '',
      );
      const signedIn = (await guards.authenticate(request))?.kind === 'user';
      try {
        const outcome = await oidc.complete({
          query,
          binding: deps.readCookie(request, OIDC_BINDING_COOKIE),
          redirectUri: redirectUri(request),
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        });
        reply.header('cache-control', 'no-store');
        if (outcome.kind === 'linked')
          return reply.redirect(outcome.returnTo ?? '/settings/sign-in?linked=1', 302);
        setSessionCookie(reply, deps, outcome.issued);
        return reply.redirect(outcome.returnTo ?? '/', 302);
      } catch (error) {
        return redirectWithError(request, reply, signedIn ? '/settings/sign-in' : '/login', error);
      }
    },
  );

  app.post(
    '/auth/oidc/link',
    {
      preHandler: guards.requireUser,
      schema: {
        tags,
        summary: 'Start linking my account to the OpenID provider',
        description:
          'Answers the provider URL to open in this browser; the callback then links that provider account ' +
          'to me. A POST (not a link) so that another site cannot start it.',
        response: { 200: Type.Object({ url: Type.String() }), 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = signedInUser(guards, request);
      if (request.principal?.kind !== 'user' || request.principal.via !== 'session') {
        throw new AccountsError('forbidden', 'Link a provider account from a signed-in browser');
      }
      const { url, binding } = await oidc.begin({
        intent: 'link',
        userId: user.id,
        redirectUri: redirectUri(request),
      });
      setBinding(reply, binding);
      return { url };
    },
  );

  app.get(
    '/auth/identities',
    {
      preHandler: guards.requireUser,
      schema: {
        tags,
        summary: 'How I sign in: whether I have a password, and my linked provider accounts',
        response: {
          200: Type.Object({ password: Type.Boolean(), identities: Type.Array(Identity) }),
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const user = signedInUser(guards, request);
      return {
        password: user.passwordHash !== null,
        identities: (await deps.identities.listForUser(user.id)).map(toIdentityView),
      };
    },
  );
}

export function toIdentityView(identity: {
  id: string;
  issuer: string;
  subject: string;
  displayName: string | null;
  email: string | null;
  createdAt: string;
  lastLoginAt: string | null;
}) {
  return {
    id: identity.id,
    issuer: identity.issuer,
    subject: identity.subject,
    displayName: identity.displayName,
    email: identity.email,
    createdAt: identity.createdAt,
    lastLoginAt: identity.lastLoginAt,
  };
}
