// The deploy module's operations, shared by the HTTP routes, the CLI (through HTTP) and the triggers:
// projects and stages (configuration changes become releases through the deploy path), manual deploys,
// rollback by release or digest, promote limited to digests running healthy in the source stage, cancel,
// status read from what actually runs, and the registry push handler.

import { randomBytes } from 'node:crypto';
import type { Logger } from '@homeport/core';
import type { Deployer } from './deployer/deployer.js';
import { probeOnce } from './deployer/health.js';
import { DeployError } from './errors.js';
import type {
  DeployRecord,
  DeployTrigger,
  ProjectRecord,
  ReleaseRecord,
  StageConfig,
  StageRecord,
} from './model.js';
import type { ReverseProxy } from './proxy/index.js';
import type { ContainerRuntime } from './runtime/index.js';
import { envSecretName, registrySecretName, type SecretBox } from './secrets.js';
import { buildStageConfig, type StageConfigInputBody } from './stage-config.js';
import type { DeployStore } from './store/repositories.js';

/** Whether two configurations are the same, secrets compared by their opened values (each seal differs). */
function sameConfig(a: StageConfig, b: StageConfig, stageId: string, box: SecretBox): boolean {
  const plain = (config: StageConfig) =>
    JSON.stringify({
      ...config,
      env: config.env.map((v) =>
        v.secret
          ? { name: v.name, secret: true, value: box.open(envSecretName(stageId, v.name), v.sealed) }
          : v,
      ),
    });
  return plain(a) === plain(b);
}

export const newId = (): string => randomBytes(12).toString('base64url');

/** Waits before each check of a webhook push against the registry (about 8 s in all). */
const PUSH_CHECK_WAITS_MS = [0, 250, 500, 1_000, 2_000, 4_000];

export interface TagMatcher {
  matches(tag: string): boolean;
}

export interface ServiceOptions {
  store: DeployStore;
  deployer: Deployer;
  runtime: ContainerRuntime;
  proxy: ReverseProxy;
  box: SecretBox;
  compileTagPattern(pattern: StageRecord['config']['tagPattern']): TagMatcher;
  /** Host names added to or removed from the TLS edge (Caddy, nginx) as stages change. */
  hostsChanged(): Promise<void>;
  /**
   * The digest a tag points at now in the stage's registry. A webhook push is deployed only when it agrees
   * with the envelope: the envelope is the sender's word, and its digest could be any image of the
   * repository, one pushed under a tag the stage never takes included.
   */
  resolveDigest(image: string, tag: string, auth?: { username: string; password: string }): Promise<string>;
  log: Logger;
  clock: () => number;
}

export interface PushEvent {
  /** `host[:port]` of the registry as it names itself. */
  registryHost: string;
  repository: string;
  tag: string;
  digest: string;
}

export interface StageStatus {
  stage: StageRecord;
  live: {
    releaseId: string;
    seq: number | null;
    tag: string | null;
    digest: string | null;
    color: string;
    containerId: string;
    since: string;
    /** From Docker now: running, its health, the digest it runs. */
    container: {
      running: boolean;
      health: string;
      imageDigest: string | null;
      startedAt: number | null;
    } | null;
    /** The built-in proxy's current target for the stage's host. */
    proxyTarget: { upstream: string; release: string; color: string } | null;
    previous: { releaseId: string; color: string; until: string } | null;
  } | null;
  queue: DeployRecord[];
}

export type DeployService = ReturnType<typeof createDeployService>;

export function createDeployService(options: ServiceOptions) {
  const { store, deployer, box, clock } = options;
  const now = () => new Date(clock()).toISOString();

  const project = async (name: string): Promise<ProjectRecord> => {
    const found = await store.projects.getByName(name);
    if (!found) throw new DeployError('deploy_not_found', `no project ${name}`);
    return found;
  };
  const stageOf = async (projectName: string, stageName: string) => {
    const p = await project(projectName);
    const s = await store.stages.getByName(p.id, stageName);
    if (!s) throw new DeployError('deploy_not_found', `no stage ${stageName} in project ${projectName}`);
    return { project: p, stage: s };
  };
  const checkTagPattern = (pattern: StageRecord['config']['tagPattern']) => {
    options.compileTagPattern(pattern);
  };

  /** Digests the stage's live release runs healthy now (the container answers its health check). */
  const healthyDigests = async (stage: StageRecord): Promise<string[]> => {
    const live = await store.live.get(stage.id);
    if (!live) return [];
    const release = await store.releases.get(live.releaseId);
    const state = await options.runtime.inspect(live.containerId);
    if (!release || !state?.running || state.health === 'unhealthy') return [];
    const health = release.config.health;
    const probe = await probeOnce(
      health.port ?? live.port,
      health,
      health.host ?? release.config.host ?? 'localhost',
    );
    return probe.ok ? [release.digest] : [];
  };

  const enqueue = (
    p: ProjectRecord,
    s: StageRecord,
    trigger: DeployTrigger,
    actor: string | null,
    what: { tag?: string | null; digest?: string | null; releaseId?: string | null },
  ) =>
    deployer.enqueue(
      {
        projectId: p.id,
        stageId: s.id,
        trigger,
        requestedBy: actor,
        tag: what.tag ?? null,
        digest: what.digest ?? null,
        releaseId: what.releaseId ?? null,
      },
      { supersedeAutomatic: trigger === 'webhook' || trigger === 'poller' },
    );

  const promoteCheck = async (p: ProjectRecord, s: StageRecord, digest: string | undefined) => {
    if (!s.config.promoteFrom) return;
    const source = await store.stages.getByName(p.id, s.config.promoteFrom);
    const eligible = source ? await healthyDigests(source) : [];
    if (digest === undefined || !eligible.includes(digest))
      throw new DeployError(
        'deploy_conflict',
        `${s.name} takes only digests running healthy in ${s.config.promoteFrom}${digest ? `; ${digest} is not one` : ''}`,
        { details: { eligible } },
      );
  };

  /** The registry password of a project, opened (for the runtime's pull and the registry client). */
  const registryAuth = (p: ProjectRecord) =>
    p.registryAuth
      ? {
          username: p.registryAuth.username,
          password: box.open(registrySecretName(p.id), p.registryAuth.sealedPassword),
        }
      : undefined;

  /**
   * Whether the tag points at the pushed digest in the stage's registry. A registry notifies as the manifest
   * lands, which can be a moment before the tag is moved to it: a miss is asked again for a few seconds.
   */
  const pushAgrees = async (p: ProjectRecord, s: StageRecord, event: PushEvent): Promise<boolean> => {
    const fields = { project: p.name, stage: s.name, tag: event.tag, digest: event.digest };
    let last: unknown;
    for (const waitMs of PUSH_CHECK_WAITS_MS) {
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      try {
        last = await options.resolveDigest(s.config.image, event.tag, registryAuth(p));
        if (last === event.digest) return true;
      } catch (err) {
        last = err;
      }
    }
    options.log.warn(
      { ...fields, ...(last instanceof Error ? { err: last } : { current: last }) },
      'registry webhook: the tag does not point at the pushed digest in the registry; not deployed',
    );
    return false;
  };

  return {
    listProjects: () => store.projects.list(),
    getProject: project,
    async createProject(body: {
      name: string;
      description?: string;
      registryAuth?: { username: string; password: string } | null;
      pollIntervalMs?: number | null;
    }) {
      const id = newId();
      return store.projects.create(
        {
          id,
          name: body.name,
          description: body.description ?? '',
          registryAuth: body.registryAuth
            ? {
                username: body.registryAuth.username,
                sealedPassword: box.seal(registrySecretName(id), body.registryAuth.password),
              }
            : null,
          pollIntervalMs: body.pollIntervalMs ?? null,
        },
        now(),
      );
    },
    async updateProject(
      name: string,
      body: {
        description?: string;
        registryAuth?: { username: string; password: string } | null;
        pollIntervalMs?: number | null;
      },
    ) {
      const p = await project(name);
      const updated = await store.projects.update(
        p.id,
        {
          ...(body.description === undefined ? {} : { description: body.description }),
          ...(body.pollIntervalMs === undefined ? {} : { pollIntervalMs: body.pollIntervalMs }),
          ...(body.registryAuth === undefined
            ? {}
            : {
                registryAuth: body.registryAuth
                  ? {
                      username: body.registryAuth.username,
                      sealedPassword: box.seal(registrySecretName(p.id), body.registryAuth.password),
                    }
                  : null,
              }),
        },
        now(),
      );
      if (!updated) throw new DeployError('deploy_not_found', `no project ${name}`);
      return updated;
    },
    async removeProject(name: string) {
      const p = await project(name);
      await store.projects.remove(p.id);
    },

    listStages: async (projectName: string) => store.stages.list((await project(projectName)).id),
    getStage: stageOf,
    async createStage(projectName: string, body: { name: string; config: StageConfigInputBody }) {
      const p = await project(projectName);
      const id = newId();
      const { config, warnings } = buildStageConfig(body.config, undefined, {
        stageId: id,
        box,
        checkTagPattern,
      });
      if (config.promoteFrom === body.name)
        throw new DeployError('deploy_bad_request', 'a stage cannot promote from itself');
      const stage = await store.stages.create({ id, projectId: p.id, name: body.name, config }, now());
      if (config.host) await options.hostsChanged();
      return { stage, warnings };
    },
    /** A new configuration; when the stage runs, it goes live as a new release through a deploy. */
    async updateStage(
      projectName: string,
      stageName: string,
      body: { config: StageConfigInputBody; revision: number },
      actor: string | null,
      options2: { onlyIfChanged?: boolean } = {},
    ) {
      const { project: p, stage } = await stageOf(projectName, stageName);
      const { config, warnings } = buildStageConfig(body.config, stage.config, {
        stageId: stage.id,
        box,
        checkTagPattern,
      });
      if (options2.onlyIfChanged && sameConfig(config, stage.config, stage.id, box))
        return { stage, warnings, deploy: null };
      if (config.promoteFrom === stage.name)
        throw new DeployError('deploy_bad_request', 'a stage cannot promote from itself');
      const updated = await store.stages.updateConfig(stage.id, config, body.revision, now());
      if (!updated) throw new DeployError('deploy_not_found', `no stage ${stageName}`);
      if (config.host !== stage.config.host) {
        if (stage.config.host) await options.proxy.removeRoute(stage.config.host);
        await options.hostsChanged();
      }
      const live = await store.live.get(stage.id);
      const running = live ? await store.releases.get(live.releaseId) : undefined;
      const deploy = running
        ? await enqueue(p, updated, 'config', actor, { digest: running.digest, tag: running.tag })
        : null;
      return { stage: updated, warnings, deploy };
    },
    async removeStage(projectName: string, stageName: string) {
      const { stage } = await stageOf(projectName, stageName);
      await store.stages.remove(stage.id);
      if (stage.config.host) await options.proxy.removeRoute(stage.config.host);
      const containers = await options.runtime.list({ project: projectName, stage: stageName });
      for (const c of containers) {
        await options.runtime.stop(c.id, Math.ceil(stage.config.stopTimeoutMs / 1000));
        await options.runtime.remove(c.id);
      }
      if (stage.config.host) await options.hostsChanged();
    },

    async requestDeploy(
      projectName: string,
      stageName: string,
      body: { tag?: string; digest?: string },
      actor: string | null,
    ) {
      const { project: p, stage } = await stageOf(projectName, stageName);
      if (body.tag === undefined && body.digest === undefined)
        throw new DeployError('deploy_bad_request', 'give a tag or a digest to deploy');
      if (body.tag !== undefined && !options.compileTagPattern(stage.config.tagPattern).matches(body.tag))
        throw new DeployError(
          'deploy_bad_request',
          `tag ${body.tag} does not match the stage's tag pattern`,
          {
            details: { tagPattern: stage.config.tagPattern },
          },
        );
      if (stage.config.promoteFrom) {
        // A tag is resolved at run time; a promoted stage takes digests only, checked now and again at run time.
        if (body.digest === undefined)
          throw new DeployError(
            'deploy_bad_request',
            `${stage.name} is promoted from ${stage.config.promoteFrom}: deploy a digest (POST …/promote)`,
          );
        await promoteCheck(p, stage, body.digest);
      }
      return enqueue(p, stage, 'manual', actor, { tag: body.tag ?? null, digest: body.digest ?? null });
    },
    async promote(projectName: string, stageName: string, body: { digest?: string }, actor: string | null) {
      const { project: p, stage } = await stageOf(projectName, stageName);
      if (!stage.config.promoteFrom)
        throw new DeployError('deploy_bad_request', `${stage.name} has no promoteFrom stage`);
      const source = await store.stages.getByName(p.id, stage.config.promoteFrom);
      const eligible = source ? await healthyDigests(source) : [];
      const digest = body.digest ?? eligible[0];
      await promoteCheck(p, stage, digest);
      const sourceLive = source ? await store.live.get(source.id) : undefined;
      const sourceRelease = sourceLive ? await store.releases.get(sourceLive.releaseId) : undefined;
      return enqueue(p, stage, 'promote', actor, { digest: digest ?? null, tag: sourceRelease?.tag ?? null });
    },
    async eligibleForPromote(projectName: string, stageName: string) {
      const { project: p, stage } = await stageOf(projectName, stageName);
      if (!stage.config.promoteFrom) return [];
      const source = await store.stages.getByName(p.id, stage.config.promoteFrom);
      return source ? healthyDigests(source) : [];
    },
    /** Redeploys an earlier successful release (its digest and configuration) of the stage. */
    async rollback(
      projectName: string,
      stageName: string,
      body: { releaseId?: string; digest?: string },
      actor: string | null,
    ) {
      const { project: p, stage } = await stageOf(projectName, stageName);
      const releases = await store.releases.list(stage.id, 500);
      const live = await store.live.get(stage.id);
      let target: ReleaseRecord | undefined;
      if (body.releaseId !== undefined) target = releases.find((r) => r.id === body.releaseId);
      else if (body.digest !== undefined)
        target = releases.find((r) => r.digest === body.digest && r.succeededAt !== null);
      else target = releases.find((r) => r.succeededAt !== null && r.id !== live?.releaseId);
      if (!target) throw new DeployError('deploy_not_found', 'no such earlier release of this stage');
      if (target.succeededAt === null)
        throw new DeployError(
          'deploy_conflict',
          `release r${target.seq} never succeeded; roll back to one that did`,
        );
      return enqueue(p, stage, 'rollback', actor, {
        releaseId: target.id,
        digest: target.digest,
        tag: target.tag,
      });
    },
    cancel: async (deployId: string) => {
      const record = await deployer.cancel(deployId);
      if (!record) throw new DeployError('deploy_not_found', 'no such deploy');
      return record;
    },
    async getDeploy(id: string) {
      const d = await store.deploys.get(id);
      if (!d) throw new DeployError('deploy_not_found', 'no such deploy');
      return d;
    },
    async listDeploys(projectName: string, stageName: string, query: { limit?: number; beforeSeq?: number }) {
      const { stage } = await stageOf(projectName, stageName);
      return store.deploys.list({
        stageId: stage.id,
        limit: query.limit ?? 50,
        ...(query.beforeSeq === undefined ? {} : { beforeSeq: query.beforeSeq }),
      });
    },
    async releases(projectName: string, stageName: string) {
      const { stage } = await stageOf(projectName, stageName);
      return store.releases.list(stage.id, 100);
    },
    async getRelease(id: string) {
      const r = await store.releases.get(id);
      if (!r) throw new DeployError('deploy_not_found', 'no such release');
      return r;
    },
    /**
     * Maintenance mode of a stage's host: the proxy answers 503 with the message (HTML-escaped) until it is
     * lifted with null. Held by the proxy of this replica, not stored: a restart lifts it.
     */
    async setMaintenance(projectName: string, stageName: string, message: string | null) {
      const { stage } = await stageOf(projectName, stageName);
      if (!stage.config.host)
        throw new DeployError(
          'deploy_unprocessable',
          `${stageName} has no public host to put in maintenance`,
        );
      await options.proxy.setMaintenance(stage.config.host, message);
      return { host: stage.config.host, maintenance: message };
    },
    async status(projectName: string, stageName: string): Promise<StageStatus> {
      const { stage } = await stageOf(projectName, stageName);
      const live = await store.live.get(stage.id);
      const queue = await store.deploys.list({
        stageId: stage.id,
        statuses: ['queued', 'running'],
        limit: 50,
      });
      if (!live) return { stage, live: null, queue };
      const release = await store.releases.get(live.releaseId);
      const state = await options.runtime.inspect(live.containerId).catch(() => null);
      const route = stage.config.host
        ? options.proxy.routes().find((r) => r.host === stage.config.host)
        : undefined;
      return {
        stage,
        queue,
        live: {
          releaseId: live.releaseId,
          seq: release?.seq ?? null,
          tag: release?.tag ?? null,
          digest: release?.digest ?? null,
          color: live.color,
          containerId: live.containerId,
          since: live.since,
          container: state
            ? {
                running: state.running,
                health: state.health,
                imageDigest: state.imageDigest,
                startedAt: state.startedAt,
              }
            : null,
          proxyTarget: route
            ? { upstream: route.upstream, release: route.release, color: route.color }
            : null,
          previous: live.previous
            ? { releaseId: live.previous.releaseId, color: live.previous.color, until: live.previous.until }
            : null,
        },
      };
    },

    /** A pushed tag: every auto-deploying stage of that repository whose pattern matches gets a deploy. */
    async onPush(event: PushEvent, trigger: 'webhook' | 'poller'): Promise<DeployRecord[]> {
      const image = `${event.registryHost}/${event.repository}`.toLowerCase();
      const queued: DeployRecord[] = [];
      for (const stage of await store.stages.list()) {
        if (
          stage.config.image.toLowerCase() !== image ||
          !stage.config.autoDeploy ||
          stage.config.promoteFrom
        )
          continue;
        if (!options.compileTagPattern(stage.config.tagPattern).matches(event.tag)) continue;
        const live = await store.live.get(stage.id);
        const running = live ? await store.releases.get(live.releaseId) : undefined;
        if (running?.digest === event.digest && running.configRevision === stage.configRevision) continue;
        const p = await store.projects.get(stage.projectId);
        if (!p) continue;
        // The poller resolved the tag itself; a webhook's digest is checked against the registry.
        if (trigger === 'webhook' && !(await pushAgrees(p, stage, event))) continue;
        queued.push(await enqueue(p, stage, trigger, null, { tag: event.tag, digest: event.digest }));
      }
      return queued;
    },
    /** The registry password of a project, opened (for the runtime's pull and the registry client). */
    registryAuth,
  };
}
