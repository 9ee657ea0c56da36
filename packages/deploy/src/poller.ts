// The registry poller, run once per cluster (a singleton job): every project with a poll interval has its
// stages' repositories' tags listed when the interval is due; the newest tag matching an auto-deploying
// stage's pattern becomes a push (the same path as the webhook) when it points at a digest the stage does
// not run. A tag's digest is handed over once per stage, so a failed deploy is not retried every interval.

import type { Logger } from '@homeport/core';
import type { ProjectRecord } from './model.js';
import { compileTagPattern, type RegistryClient } from './registry/index.js';
import type { PushEvent } from './service.js';
import type { DeployStore } from './store/repositories.js';

export interface PollerOptions {
  store: DeployStore;
  registry: RegistryClient;
  onPush(event: PushEvent): Promise<unknown>;
  registryAuth(project: ProjectRecord): { username: string; password: string } | undefined;
  log: Logger;
  clock: () => number;
}

/** How long a (stage, digest) handed over is not handed over again. */
const HANDED_TTL_MS = 7 * 24 * 3_600_000;

export function createPoller(options: PollerOptions) {
  const { store, registry, log, clock } = options;
  const lastPoll = new Map<string, number>();

  const pollProject = async (project: ProjectRecord) => {
    const auth = options.registryAuth(project);
    for (const stage of await store.stages.list(project.id)) {
      if (!stage.config.autoDeploy || stage.config.promoteFrom) continue;
      try {
        const tags = await registry.listTags(stage.config.image, auth);
        const tag = compileTagPattern(stage.config.tagPattern).newest(tags);
        if (!tag) continue;
        const digest = await registry.resolveDigest(stage.config.image, tag, auth);
        const fresh = await store.webhookEvents.claim(
          `poll:${stage.id}:${digest}`,
          new Date(clock()).toISOString(),
          HANDED_TTL_MS,
        );
        if (!fresh) continue;
        const slash = stage.config.image.indexOf('/');
        log.info({ project: project.name, stage: stage.name, tag, digest }, 'poller: new tag');
        await options.onPush({
          registryHost: stage.config.image.slice(0, slash),
          repository: stage.config.image.slice(slash + 1),
          tag,
          digest,
        });
      } catch (err) {
        log.warn({ err, project: project.name, stage: stage.name }, 'poller: the registry could not be read');
      }
    }
  };

  return {
    /** Polls the projects whose interval is due. */
    async tick(): Promise<void> {
      for (const project of await store.projects.list()) {
        if (project.pollIntervalMs === null) continue;
        const last = lastPoll.get(project.id) ?? 0;
        if (clock() - last < project.pollIntervalMs) continue;
        lastPoll.set(project.id, clock());
        await pollProject(project);
      }
    },
  };
}
