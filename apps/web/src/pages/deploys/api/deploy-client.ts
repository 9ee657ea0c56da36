// Client for the deploy API the Deploys page uses (`/api/v1/deploy`, admins only): projects, stages, their
// status, deploys, rollback, promote, cancel, logs and the registry webhook token. It works like the app's
// ApiClient (same-origin JSON, ApiError from readError, the connection monitor told what it sees) but lives
// with its page, because the deploy routes' answers are not in the generated API types (see deploy-types.ts).
import { ApiError } from '../../../api/api-error';
import { isUnreachable, readError } from '../../../api/client';
import type { ConnectionMonitor } from '../../../api/connection';
import type {
  DeployRecord,
  LogLine,
  Project,
  ProjectInput,
  Release,
  SavedStage,
  Stage,
  StageConfigInput,
  StageStatus,
} from './deploy-types';

export interface DeployClientOptions {
  /** @default '/api/v1/deploy' */
  baseUrl?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  connection?: ConnectionMonitor | null;
  /** A call got 401: the session expired or was ended elsewhere. */
  onSessionEnded?: () => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface DeployClient {
  projects: {
    list(options?: RequestOptions): Promise<Project[]>;
    create(input: ProjectInput & { name: string }): Promise<Project>;
    update(project: string, input: ProjectInput): Promise<Project>;
  };
  stages: {
    list(project: string, options?: RequestOptions): Promise<Stage[]>;
    create(project: string, name: string, config: StageConfigInput): Promise<SavedStage>;
    /** `revision` is the configRevision the form was filled from (409 when someone changed it since). */
    update(project: string, stage: string, config: StageConfigInput, revision: number): Promise<SavedStage>;
    /** What runs now (from Docker and the proxy), and the queue. */
    status(project: string, stage: string, options?: RequestOptions): Promise<StageStatus>;
    /** Newest first. */
    history(project: string, stage: string, options?: RequestOptions): Promise<DeployRecord[]>;
    /** Newest first. */
    releases(project: string, stage: string, options?: RequestOptions): Promise<Release[]>;
    deployTag(project: string, stage: string, tag: string): Promise<DeployRecord>;
    rollback(project: string, stage: string, releaseId: string): Promise<DeployRecord>;
    /** Digests running healthy in the stage's promoteFrom stage. */
    eligibleForPromote(project: string, stage: string, options?: RequestOptions): Promise<string[]>;
    promote(project: string, stage: string, digest: string): Promise<DeployRecord>;
  };
  cancel(deployId: string): Promise<DeployRecord>;
  /** Lines with seq > after, oldest first. */
  deployLogs(deployId: string, after: number, options?: RequestOptions): Promise<LogLine[]>;
  releaseLogs(releaseId: string, after: number, options?: RequestOptions): Promise<LogLine[]>;
  webhookToken(options?: RequestOptions): Promise<string>;
}

interface CallOptions extends RequestOptions {
  body?: unknown;
}

export function createDeployClient(options: DeployClientOptions = {}): DeployClient {
  const baseUrl = options.baseUrl ?? '/api/v1/deploy';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const connection = options.connection ?? undefined;

  async function call<T>(method: string, path: string, callOptions: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (callOptions.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(callOptions.body);
    }
    if (callOptions.signal) init.signal = callOptions.signal;
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, init);
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      connection?.reportUnreachable();
      throw new ApiError({
        status: 0,
        code: 'network_error',
        message: 'Could not reach the Homeport server. Check your connection and try again.',
        cause,
      });
    }
    if (!response.ok) {
      const error = await readError(response);
      if (isUnreachable(error)) connection?.reportUnreachable();
      else connection?.reportReachable();
      if (error.status === 401) options.onSessionEnded?.();
      throw error;
    }
    connection?.reportReachable();
    // cast: callers of 204 routes ask for void
    if (response.status === 204) return undefined as T;
    // cast: the deploy API is this project's own, its contract written down in deploy-types.ts
    return (await response.json()) as T;
  }

  const stagePath = (project: string, stage: string) =>
    `/projects/${encodeURIComponent(project)}/stages/${encodeURIComponent(stage)}`;

  return {
    projects: {
      list: (o) => call('GET', '/projects', o),
      create: (body) => call('POST', '/projects', { body }),
      update: (project, body) => call('PATCH', `/projects/${encodeURIComponent(project)}`, { body }),
    },
    stages: {
      list: (project, o) => call('GET', `/projects/${encodeURIComponent(project)}/stages`, o),
      create: (project, name, config) =>
        call('POST', `/projects/${encodeURIComponent(project)}/stages`, { body: { name, config } }),
      update: (project, stage, config, revision) =>
        call('PUT', stagePath(project, stage), { body: { config, revision } }),
      status: (project, stage, o) => call('GET', `${stagePath(project, stage)}/status`, o),
      history: (project, stage, o) => call('GET', `${stagePath(project, stage)}/deploys?limit=30`, o),
      releases: (project, stage, o) => call('GET', `${stagePath(project, stage)}/releases`, o),
      deployTag: (project, stage, tag) =>
        call('POST', `${stagePath(project, stage)}/deploys`, { body: { tag } }),
      rollback: (project, stage, releaseId) =>
        call('POST', `${stagePath(project, stage)}/rollback`, { body: { releaseId } }),
      eligibleForPromote: async (project, stage, o) =>
        (await call<{ eligible: string[] }>('GET', `${stagePath(project, stage)}/promote`, o)).eligible,
      promote: (project, stage, digest) =>
        call('POST', `${stagePath(project, stage)}/promote`, { body: { digest } }),
    },
    cancel: (deployId) => call('POST', `/deploys/${encodeURIComponent(deployId)}/cancel`),
    deployLogs: (deployId, after, o) =>
      call('GET', `/deploys/${encodeURIComponent(deployId)}/logs?after=${after}&limit=1000`, o),
    releaseLogs: (releaseId, after, o) =>
      call('GET', `/releases/${encodeURIComponent(releaseId)}/logs?after=${after}&limit=1000`, o),
    webhookToken: async (o) => (await call<{ token: string }>('GET', '/webhooks/registry/token', o)).token,
  };
}
