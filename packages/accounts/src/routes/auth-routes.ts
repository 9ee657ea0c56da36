// /api/v1/auth: configuration for the login page, register, login, logout, me.

import type { HttpApp } from '@homeport/core';
import type { FastifyReply } from 'fastify';
import { AccountsError } from '../errors.js';
import { SESSION_COOKIE } from '../guards.js';
import { type IssuedSession, toPublicUser } from '../service.js';
import { type RouteDeps, signedInUser } from './deps.js';
import { AuthConfig, Credentials, ErrorBody, LoginResult, NoContent, Registration, User } from './schemas.js';

export function registerAuthRoutes(app: HttpApp, deps: RouteDeps): void {
  const { service, guards, settings } = deps;
  const tags = ['auth'];

  const startSession = (reply: FastifyReply, issued: IssuedSession) => {
    reply.setCookie(SESSION_COOKIE, issued.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookies,
      maxAge: Math.floor(settings.sessionTtl / 1000),
    });
    return {
      token: issued.token,
      user: toPublicUser(issued.user),
      expiresAt: new Date(issued.session.expiresAt).toISOString(),
    };
  };

  app.get(
    '/api/v1/auth/config',
    { schema: { tags, summary: 'What the login page offers', response: { 200: AuthConfig } } },
    async () => ({
      registrationEnabled: settings.registrationEnabled,
      localLoginEnabled: true,
      oidc: null,
    }),
  );

  app.post(
    '/api/v1/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account and sign in',
        body: Registration,
        response: { 201: LoginResult, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      if (!settings.registrationEnabled) {
        throw new AccountsError(
          'registration_disabled',
          'forbidden',
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
    '/api/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in with username and password',
        body: Credentials,
        response: { 200: LoginResult, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
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
    '/api/v1/auth/logout',
    { schema: { tags, summary: 'End the current session', response: { 204: NoContent } } },
    async (request, reply) => {
      const principal = await guards.authenticate(request);
      if (principal?.kind === 'user' && principal.sessionId !== undefined)
        await service.endSession(principal.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      preHandler: guards.requireUser,
      schema: { tags, summary: 'The signed-in user', response: { 200: User, 401: ErrorBody } },
    },
    async (request) => toPublicUser(signedInUser(guards, request)),
  );
}
