// The deploy module's HTTP routes under /api/v1/deploy. Every route but the registry webhook takes an
// admin's session or API token: a stage's configuration mounts host paths and runs containers, which is
// root on the Docker host. The webhook takes its own token (routes/webhook.ts).

import { type AuthGuards, type HttpApp, Type } from '@homeport/core';
import type { DeployRecord, ProjectRecord, ReleaseRecord, StageRecord } from '../model.js';
import type { DeployService } from '../service.js';
import { stageConfigView } from '../stage-config.js';
import type { DeployStore } from '../store/repositories.js';
import {
  CreateProject,
  CreateStage,
  DeployParams,
  DeployRequest,
  ErrorBody,
  HistoryQuery,
  LogQuery,
  Maintenance,
  ProjectParams,
  PromoteRequest,
  ReleaseParams,
  RollbackRequest,
  StageParams,
  UpdateProject,
  UpdateStage,
} from './schemas.js';

export interface DeployRouteOptions {
  service: DeployService;
  store: DeployStore;
  auth: AuthGuards;
}

// Answers are the views below (typed in the web client from the TypeScript types, not from these schemas).
const ERRORS = {
  200: Type.Unknown(),
  201: Type.Unknown(),
  202: Type.Unknown(),
  204: Type.Null(),
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const projectView = (p: ProjectRecord) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  registryAuth: p.registryAuth ? { username: p.registryAuth.username, password: null } : null,
  pollIntervalMs: p.pollIntervalMs,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

export const stageView = (s: StageRecord) => ({ ...s, config: stageConfigView(s.config) });
export const releaseView = (r: ReleaseRecord) => ({ ...r, config: stageConfigView(r.config) });
export const deployView = (d: DeployRecord) => d;

const actorOf = (principal: { kind: string; userId?: string } | null): string | null =>
  principal?.kind === 'user' && principal.userId ? principal.userId : null;

export function registerDeployRoutes(app: HttpApp, options: DeployRouteOptions): void {
  const { service, store, auth } = options;
  // onRequest, not preHandler: Fastify validates params, query and body between the two, so a guard in
  // preHandler lets an anonymous caller probe the schemas (400s) before it is told it needs a session.
  const admin = { onRequest: auth.requireAdmin };
  const tags = ['deploy'];

  // --- projects ------------------------------------------------------------------------------------------------
  app.get(
    '/projects',
    { ...admin, schema: { tags, summary: 'Projects (admin)', response: ERRORS } },
    async () => (await service.listProjects()).map(projectView),
  );
  app.post(
    '/projects',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Creates a project (409 when the name is taken)',
        body: CreateProject,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      reply.code(201);
      return projectView(await service.createProject(request.body));
    },
  );
  app.get(
    '/projects/:project',
    { ...admin, schema: { tags, params: ProjectParams, response: ERRORS } },
    async (request) => projectView(await service.getProject(request.params.project)),
  );
  app.patch(
    '/projects/:project',
    { ...admin, schema: { tags, params: ProjectParams, body: UpdateProject, response: ERRORS } },
    async (request) => projectView(await service.updateProject(request.params.project, request.body)),
  );
  app.delete(
    '/projects/:project',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Removes a project without stages (409 otherwise)',
        params: ProjectParams,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      await service.removeProject(request.params.project);
      reply.code(204);
    },
  );

  // --- stages --------------------------------------------------------------------------------------------------
  app.get(
    '/projects/:project/stages',
    { ...admin, schema: { tags, params: ProjectParams, response: ERRORS } },
    async (request) => (await service.listStages(request.params.project)).map(stageView),
  );
  app.post(
    '/projects/:project/stages',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Creates a stage (409 when its name or host is taken); warnings name risky shapes',
        params: ProjectParams,
        body: CreateStage,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      const { stage, warnings } = await service.createStage(request.params.project, request.body);
      reply.code(201);
      return { ...stageView(stage), warnings };
    },
  );
  app.get(
    '/projects/:project/stages/:stage',
    { ...admin, schema: { tags, params: StageParams, response: ERRORS } },
    async (request) =>
      stageView((await service.getStage(request.params.project, request.params.stage)).stage),
  );
  app.put(
    '/projects/:project/stages/:stage',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Changes a stage’s configuration; a running stage gets it through a new release (a deploy)',
        params: StageParams,
        body: UpdateStage,
        response: ERRORS,
      },
    },
    async (request) => {
      const { stage, warnings, deploy } = await service.updateStage(
        request.params.project,
        request.params.stage,
        request.body,
        actorOf(request.principal),
      );
      return { ...stageView(stage), warnings, deploy };
    },
  );
  app.delete(
    '/projects/:project/stages/:stage',
    {
      ...admin,
      schema: {
        tags,
        summary:
          'Removes a stage, its containers, releases and history (409 while a deploy is queued or running)',
        params: StageParams,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      await service.removeStage(request.params.project, request.params.stage);
      reply.code(204);
    },
  );
  app.put(
    '/projects/:project/stages/:stage/maintenance',
    {
      ...admin,
      schema: {
        tags,
        summary:
          'Maintenance mode: the stage’s host answers 503 with the message; null lifts it (this replica, until restart)',
        params: StageParams,
        body: Maintenance,
        response: ERRORS,
      },
    },
    async (request) =>
      service.setMaintenance(request.params.project, request.params.stage, request.body.message),
  );
  app.get(
    '/projects/:project/stages/:stage/status',
    {
      ...admin,
      schema: {
        tags,
        summary: 'What runs now (from Docker and the proxy), and the queue',
        params: StageParams,
        response: ERRORS,
      },
    },
    async (request) => {
      const status = await service.status(request.params.project, request.params.stage);
      return { ...status, stage: stageView(status.stage) };
    },
  );

  // --- deploys -------------------------------------------------------------------------------------------------
  app.post(
    '/projects/:project/stages/:stage/deploys',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Queues a deploy of a tag or digest (202)',
        params: StageParams,
        body: DeployRequest,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      reply.code(202);
      return service.requestDeploy(
        request.params.project,
        request.params.stage,
        request.body,
        actorOf(request.principal),
      );
    },
  );
  app.get(
    '/projects/:project/stages/:stage/deploys',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Deploy history, newest first',
        params: StageParams,
        querystring: HistoryQuery,
        response: ERRORS,
      },
    },
    async (request) => service.listDeploys(request.params.project, request.params.stage, request.query),
  );
  app.post(
    '/projects/:project/stages/:stage/rollback',
    {
      ...admin,
      schema: {
        tags,
        summary:
          'Redeploys an earlier successful release (by id or digest; default: the newest before the live one)',
        params: StageParams,
        body: RollbackRequest,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      reply.code(202);
      return service.rollback(
        request.params.project,
        request.params.stage,
        request.body,
        actorOf(request.principal),
      );
    },
  );
  app.post(
    '/projects/:project/stages/:stage/promote',
    {
      ...admin,
      schema: {
        tags,
        summary:
          'Deploys a digest running healthy in the promoteFrom stage (409 listing the eligible ones otherwise)',
        params: StageParams,
        body: PromoteRequest,
        response: ERRORS,
      },
    },
    async (request, reply) => {
      reply.code(202);
      return service.promote(
        request.params.project,
        request.params.stage,
        request.body,
        actorOf(request.principal),
      );
    },
  );
  app.get(
    '/projects/:project/stages/:stage/promote',
    {
      ...admin,
      schema: { tags, summary: 'Digests eligible for a promote', params: StageParams, response: ERRORS },
    },
    async (request) => ({
      eligible: await service.eligibleForPromote(request.params.project, request.params.stage),
    }),
  );
  app.get(
    '/projects/:project/stages/:stage/releases',
    { ...admin, schema: { tags, params: StageParams, response: ERRORS } },
    async (request) =>
      (await service.releases(request.params.project, request.params.stage)).map(releaseView),
  );
  app.get(
    '/deploys/:deployId',
    { ...admin, schema: { tags, params: DeployParams, response: ERRORS } },
    async (request) => deployView(await service.getDeploy(request.params.deployId)),
  );
  app.post(
    '/deploys/:deployId/cancel',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Cancels a queued deploy, or a running one before its switch',
        params: DeployParams,
        response: ERRORS,
      },
    },
    async (request) => deployView(await service.cancel(request.params.deployId)),
  );
  app.get(
    '/deploys/:deployId/logs',
    {
      ...admin,
      schema: {
        tags,
        summary: 'A deploy’s log lines after a seq',
        params: DeployParams,
        querystring: LogQuery,
        response: ERRORS,
      },
    },
    async (request) => {
      await service.getDeploy(request.params.deployId);
      return store.logs.list(
        { kind: 'deploy', id: request.params.deployId },
        request.query.after ?? 0,
        request.query.limit ?? 1000,
      );
    },
  );
  app.get(
    '/releases/:releaseId/logs',
    {
      ...admin,
      schema: {
        tags,
        summary: 'A release’s container output (kept after the container is gone)',
        params: ReleaseParams,
        querystring: LogQuery,
        response: ERRORS,
      },
    },
    async (request) => {
      await service.getRelease(request.params.releaseId);
      return store.logs.list(
        { kind: 'runtime', releaseId: request.params.releaseId },
        request.query.after ?? 0,
        request.query.limit ?? 1000,
      );
    },
  );
}
