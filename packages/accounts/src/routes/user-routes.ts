// /api/v1/users: admin management of accounts.

import { type HttpApp, Type } from '@homeport/core';
import { toPublicUser } from '../service.js';
import type { RouteDeps } from './deps.js';
import { toIdentityView } from './oidc-routes.js';
import {
  AdminUser,
  ErrorBody,
  IdentityParams,
  IdParams,
  NewUser,
  NoContent,
  User,
  UserPatch,
} from './schemas.js';

export function registerUserRoutes(app: HttpApp, { service, guards, identities }: RouteDeps): void {
  const tags = ['users'];
  const preHandler = guards.requireAdmin;

  app.get(
    '/users',
    {
      preHandler,
      schema: {
        tags,
        summary: 'All users (admin)',
        response: { 200: Type.Object({ users: Type.Array(AdminUser) }), 403: ErrorBody },
      },
    },
    async () => {
      const linked = await identities.byUser();
      return {
        users: (await service.listUsers()).map((user) => ({
          ...toPublicUser(user),
          signIn: {
            password: user.passwordHash !== null,
            identities: (linked.get(user.id) ?? []).map(toIdentityView),
          },
        })),
      };
    },
  );

  app.delete(
    '/users/:id/identities/:identityId',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Unlink a provider account from a user (admin); ends the sessions opened through it',
        params: IdentityParams,
        response: { 204: NoContent, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      await identities.unlink(request.params.id, request.params.identityId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/users',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Create a user (admin)',
        body: NewUser,
        response: { 201: User, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const user = await service.createUser({ ...request.body, role: request.body.role ?? 'member' });
      return reply.status(201).send(toPublicUser(user));
    },
  );

  app.patch(
    '/users/:id',
    {
      preHandler,
      schema: {
        tags,
        summary: 'Change role, status or password (admin)',
        description:
          "Disabling ends the user's sessions; a new password ends their sessions and API tokens " +
          '(unless keepApiTokens is true). Demoting, disabling and a new password also end the mount ' +
          'credentials issued to them and close their event streams.',
        params: IdParams,
        body: UserPatch,
        response: { 200: User, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const { role, status, password, keepApiTokens } = request.body;
      const patch = {
        ...(role ? { role } : {}),
        ...(status ? { status } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(keepApiTokens !== undefined ? { keepApiTokens } : {}),
      };
      return toPublicUser(await service.updateUser(request.params.id, patch));
    },
  );
}
