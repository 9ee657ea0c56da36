// Start-up reconciliation, before the proxy listens: the proxy's table rebuilt from the stored live state,
// deploys this node was running when it died finished (kept when their switch happened, otherwise rolled
// back to the old color), containers nobody owns removed, live containers that stopped started again.

import type { Logger } from '@homeport/core';
import type { StageLive, StageRecord } from '../model.js';
import type { ReverseProxy } from '../proxy/index.js';
import type { ContainerRuntime, ContainerState } from '../runtime/index.js';
import type { DeployStore } from '../store/repositories.js';
import { stageRoute } from './stage-route.js';

export interface ReconcileOptions {
  store: DeployStore;
  runtime: ContainerRuntime;
  proxy: ReverseProxy;
  runner: string;
  runsStage(stage: StageRecord): boolean;
  log: Logger;
  clock: () => number;
}

export interface ReconcileReport {
  routes: number;
  interrupted: { deployId: string; outcome: 'kept' | 'rolled_back' }[];
  removed: string[];
  restarted: string[];
}

export function restoreRoutes(
  proxy: ReverseProxy,
  stages: StageRecord[],
  lives: StageLive[],
  projectNames: Map<string, string>,
): number {
  let count = 0;
  for (const live of lives) {
    const stage = stages.find((s) => s.id === live.stageId);
    if (!stage?.config.host) continue;
    proxy.setRoute(
      stage.config.host,
      stageRoute({
        project: projectNames.get(stage.projectId) ?? '?',
        stage: stage.name,
        port: live.port,
        releaseId: live.releaseId,
        color: live.color,
        healthPath: stage.config.health.path,
      }),
    );
    count += 1;
  }
  return count;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { store, runtime, log, clock } = options;
  const now = () => new Date(clock()).toISOString();
  const projects = await store.projects.list();
  const projectNames = new Map(projects.map((p) => [p.id, p.name]));
  const stages = await store.stages.list();
  const report: ReconcileReport = { routes: 0, interrupted: [], removed: [], restarted: [] };

  // Deploys this node was running when it stopped.
  const running = (await store.deploys.list({ statuses: ['running'], limit: 1000 })).filter(
    (d) => d.runner === options.runner,
  );
  for (const deploy of running) {
    const live = await store.live.get(deploy.stageId);
    const switched = live !== undefined && deploy.releaseId !== null && live.releaseId === deploy.releaseId;
    if (switched && live) {
      // The switch happened: the new color serves. Finish what the deploy had left: stop the old color.
      if (live.previous) await runtime.stop(live.previous.containerId, 10).catch(() => undefined);
      await store.deploys.finish(deploy.id, 'succeeded', null, now());
      report.interrupted.push({ deployId: deploy.id, outcome: 'kept' });
    } else {
      await store.deploys.finish(
        deploy.id,
        'failed',
        {
          step: deploy.steps.at(-1)?.name ?? 'resolve',
          reason: 'interrupted by a restart of Homeport before its switch: the old color keeps serving',
        },
        now(),
      );
      report.interrupted.push({ deployId: deploy.id, outcome: 'rolled_back' });
    }
    await store.logs.append({ kind: 'deploy', id: deploy.id }, [
      {
        ts: now(),
        stream: 'deploy',
        line: switched
          ? 'Homeport restarted after this deploy switched: it stays live; the old color was stopped'
          : 'Homeport restarted during this deploy: its new container was removed, the old color keeps serving',
      },
    ]);
  }

  // Live state and the proxy table.
  const lives = await store.live.list();
  const owned = new Set<string>();
  for (const live of lives) {
    owned.add(live.containerId);
    if (live.previous) owned.add(live.previous.containerId);
  }
  const stillRunning = await store.deploys.list({ statuses: ['running'], limit: 1000 });
  const busyStages = new Set(stillRunning.map((d) => d.stageId));
  report.routes = restoreRoutes(options.proxy, stages, lives, projectNames);

  // Containers: restart a stopped live one, remove what nobody owns (of stages this node runs).
  const mine = (c: ContainerState) => {
    const stage = stages.find(
      (s) => s.name === c.labels.stage && projectNames.get(s.projectId) === c.labels.project,
    );
    return stage === undefined || options.runsStage(stage) ? (stage ?? null) : undefined;
  };
  for (const container of await runtime.list()) {
    const stage = mine(container);
    if (stage === undefined) continue; // another node's stage
    if (stage && busyStages.has(stage.id)) continue; // another replica is deploying it right now
    const live = stage ? lives.find((l) => l.stageId === stage.id) : undefined;
    if (live && container.id === live.containerId) {
      if (!container.running) {
        await runtime.start(container.id);
        report.restarted.push(container.id);
        log.warn(
          { containerId: container.id, stage: stage?.name },
          'the live container was stopped: started again',
        );
      }
      continue;
    }
    if (owned.has(container.id)) continue;
    await runtime.remove(container.id);
    report.removed.push(container.id);
  }
  log.info(
    {
      routes: report.routes,
      interrupted: report.interrupted.length,
      removed: report.removed.length,
      restarted: report.restarted.length,
    },
    'deploy state reconciled',
  );
  return report;
}
