// /api/v1/auth: configuration for the login page, register, login, logout, me and the session probe, and
// changing one's own password.

import { type HttpApp, selfOrigin, Type } from '@homeport/core';
import type { FastifyReply } from 'fastify';
import { clearCookie, setCookie } from '../cookies.js';
import { AccountsError } from '../errors.js';
import { SESSION_COOKIE } from '../guards.js';
import { usableOidc } from '../oidc/auth-settings.js';
import { type IssuedSession, toPublicUser } from '../service.js';
import { type RouteDeps, signedInUser } from './deps.js';
import {
  AuthConfig,
  Credentials,
  ErrorBody,
  LoginResult,
  NoContent,
  PasswordChange,
  Registration,
  SessionProbe,
  User,
} from './schemas.js';

/** Sets the session cookie; the same for a password login and an OIDC login. */
export function setSessionCookie(reply: FastifyReply, deps: RouteDeps, issued: IssuedSession): void {
  setCookie(reply, SESSION_COOKIE, issued.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.secureCookies,
    maxAge: Math.floor(deps.settings.sessionTtl / 1000),
  });
}

export function registerAuthRoutes(app: HttpApp, deps: RouteDeps): void {
  const { service, guards, authSettings } = deps;
  const tags = ['auth'];

  const requireLocalLogin = async () => {
    if (!(await authSettings.current()).localLoginEnabled) {
      throw new AccountsError(
        'local_login_disabled',
        'Password sign-in is turned off on this server; use the single sign-on button',
      );
    }
  };

  const startSession = (reply: FastifyReply, issued: IssuedSession) => {
    setSessionCookie(reply, deps, issued);
    return {
      token: issued.token,
      user: toPublicUser(issued.user),
      expiresAt: new Date(issued.session.expiresAt).toISOString(),
    };
  };

  app.get(
    '/auth/config',
    { schema: { tags, summary: 'What the login page offers', response: { 200: AuthConfig } } },
    async () => {
      const current = await authSettings.current();
      const oidc = usableOidc(current);
      return {
        // Registration makes password accounts, so it goes when password sign-in does.
        registrationEnabled: current.registrationEnabled && current.localLoginEnabled,
        localLoginEnabled: current.localLoginEnabled,
        oidc: oidc ? { displayName: oidc.displayName, loginUrl: '/api/v1/auth/oidc/login' } : null,
      };
    },
  );

  app.post(
    '/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account and sign in',
        body: Registration,
        response: { 201: LoginResult, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireLocalLogin();
      if (!(await authSettings.current()).registrationEnabled) {
        throw new AccountsError(
          'registration_disabled',
          'Registration is turned off; ask an admin for an account',
        );
      }
      const issued = await service.register({
        ...request.body,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      return reply.status(201).send(startSession(reply, issued));
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in with username and password',
        body: Credentials,
        response: { 200: LoginResult, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      await requireLocalLogin();
      const issued = await service.login({
        ...request.body,
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      request.log.info({ userId: issued.user.id }, 'login');
      return startSession(reply, issued);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'End the current session',
        description:
          'For a session opened through OIDC whose provider has an end-session endpoint, answers 200 with the ' +
          'URL to send the browser to, so the provider ends its session too; otherwise 204.',
        response: {
          200: Type.Object({ endSessionUrl: Type.String() }),
          204: NoContent,
        },
      },
    },
    async (request, reply) => {
      const principal = await guards.authenticate(request);
      let endSessionUrl: string | undefined;
      if (principal?.kind === 'user' && principal.sessionId !== undefined) {
        // Asked before the session ends: its OIDC record goes with it.
        const base = deps.publicUrl ?? selfOrigin(request, undefined);
        endSessionUrl = await deps.oidc.endSessionUrl(principal.sessionId, `${base}/login`);
        await service.endSession(principal.sessionId, principal.userId);
      }
      clearCookie(reply, SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies,
      });
      if (endSessionUrl !== undefined) return { endSessionUrl };
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      preHandler: guards.requireUser,
      schema: { tags, summary: 'The signed-in user', response: { 200: User, 401: ErrorBody } },
    },
    async (request) => toPublicUser(signedInUser(guards, request)),
  );
  app.get(
    '/auth/session',
    {
      schema: {
        tags,
        summary: 'Who is signed in, if anyone',
        description:
          'Always 200: `{ user }` for a signed-in request, `{ user: null }` otherwise. For pages that probe on ' +
          'load (a 401 from /auth/me would be logged as an error by the browser); scripts may keep using ' +
          '/auth/me, which answers 401 when nobody is signed in.',
        response: { 200: SessionProbe },
      },
    },
    async (request) => {
      const principal = await guards.authenticate(request);
      const user = principal?.kind === 'user' ? guards.userOf(request) : undefined;
      return { user: user ? toPublicUser(user) : null };
    },
  );

  app.post(
    '/auth/password',
    {
      preHandler: guards.requireUser,
      schema: {
        tags,
        summary: 'Change my own password',
        description:
          'Needs the current password (a wrong one answers 403 wrong_password and counts as a failed login ' +
          'for throttling). Ends my other sessions (this one stays), my API tokens unless keepApiTokens is ' +
          'true, and the mount credentials issued to me. Only from a session, not with an API token.',
        body: PasswordChange,
        response: {
          204: NoContent,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.kind !== 'user' || principal.via !== 'session') {
        // A leaked token must not be able to lock its owner out, even with the password guessed.
        throw new AccountsError(
          'forbidden',
          'Change your password from a signed-in session, not with an API token',
        );
      }
      await service.changeOwnPassword({
        userId: signedInUser(guards, request).id,
        sessionId: principal.sessionId,
        currentPassword: request.body.currentPassword,
        newPassword: request.body.newPassword,
        keepApiTokens: request.body.keepApiTokens,
        ip: request.ip,
      });
      return reply.status(204).send(null);
    },
  );
}
