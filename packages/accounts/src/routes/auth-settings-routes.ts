// /api/v1/auth/settings: Settings → Authentication (admins). The client secret is write-only: responses only
// say whether one is set.

import { type HttpApp, selfOrigin } from '@homeport/core';
import type { FastifyRequest } from 'fastify';
import type { AuthSettings } from '../oidc/auth-settings.js';
import type { RouteDeps } from './deps.js';
import { AuthSettingsUpdate, AuthSettingsView, ErrorBody } from './schemas.js';

export function registerAuthSettingsRoutes(app: HttpApp, deps: RouteDeps): void {
  const { guards, authSettings } = deps;
  const tags = ['auth'];

  const view = (request: FastifyRequest, settings: AuthSettings) => {
    const base = deps.publicUrl ?? selfOrigin(request, undefined);
    const { hasClientSecret, ...oidc } = settings.oidc;
    return {
      localLoginEnabled: settings.localLoginEnabled,
      registrationEnabled: settings.registrationEnabled,
      oidc: {
        ...oidc,
        clientSecretSet: hasClientSecret,
        redirectUri: `${base}/api/v1/auth/oidc/callback`,
        postLogoutRedirectUri: `${base}/login`,
      },
      managed: [...authSettings.managed()],
    };
  };

  app.get(
    '/auth/settings',
    {
      preHandler: guards.requireAdmin,
      schema: {
        tags,
        summary: 'Authentication settings in effect (admin)',
        response: { 200: AuthSettingsView, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request) => view(request, await authSettings.current()),
  );

  app.put(
    '/auth/settings',
    {
      preHandler: guards.requireAdmin,
      schema: {
        tags,
        summary: 'Change authentication settings (admin)',
        description:
          'Fields left out keep their value. Refused with 409 setting_managed for a field set by env or the ' +
          'config file, 409 admin_lockout when no admin could sign in afterwards, and 422 oidc_misconfigured ' +
          "when OIDC is on and the provider's discovery document cannot be read.",
        body: AuthSettingsUpdate,
        response: { 200: AuthSettingsView, 400: ErrorBody, 403: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request) => {
      const updated = await authSettings.update(request.body);
      request.log.info(
        { userId: request.principal?.kind === 'user' ? request.principal.userId : undefined },
        'authentication settings changed',
      );
      return view(request, updated);
    },
  );
}
