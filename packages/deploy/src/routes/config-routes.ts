// Export and import of the whole deploy configuration as YAML (admin): `GET /config.yaml` (secret values
// only with `?secrets=true`, which is logged) and `POST /config` with the YAML as the body.

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import { exportConfig, importConfig, MAX_CONFIG_BYTES } from '../config-file.js';
import type { SecretBox } from '../secrets.js';
import type { DeployService } from '../service.js';
import type { DeployStore } from '../store/repositories.js';
import { ErrorBody } from './schemas.js';

export interface ConfigRouteOptions {
  service: DeployService;
  store: DeployStore;
  box: SecretBox;
  auth: AuthGuards;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

export function registerConfigRoutes(app: HttpApp, options: ConfigRouteOptions): void {
  app.addContentTypeParser(
    YAML_TYPES,
    { parseAs: 'string', bodyLimit: MAX_CONFIG_BYTES },
    (_request, body, done) => done(null, body),
  );
  app.get(
    '/config.yaml',
    {
      onRequest: options.auth.requireAdmin,
      schema: {
        tags: ['deploy'],
        summary: 'Every project and stage as YAML (secret values only with secrets=true)',
        querystring: Type.Object({ secrets: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.String(), 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const withSecrets = request.query.secrets === true;
      if (withSecrets)
        request.log.warn(
          { userId: request.principal?.kind === 'user' ? request.principal.userId : null },
          'deploy configuration exported with secret values',
        );
      reply.header('content-type', 'application/yaml; charset=utf-8');
      reply.header('cache-control', 'no-store');
      reply.header('content-disposition', 'attachment; filename="homeport-deploy.yaml"');
      return exportConfig(options.store, options.box, withSecrets);
    },
  );
  app.post(
    '/config',
    {
      onRequest: options.auth.requireAdmin,
      bodyLimit: MAX_CONFIG_BYTES,
      schema: {
        tags: ['deploy'],
        summary: 'Creates or updates projects and stages from a YAML document (nothing is removed)',
        response: { 200: Type.Unknown(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const text = typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? '');
      const principal = request.principal;
      return importConfig(options.service, text, principal?.kind === 'user' ? principal.userId : null);
    },
  );
}
