// Drift: the live container of a stage that exits, is killed for memory, or turns unhealthy outside a
// deploy is an event (`stage.drift` on the deploys topic) and a warning in the log, so the UI and whoever
// watches the log learn that what runs is no longer what was deployed. Containers that are not live (an old
// color being stopped by a deploy, a new one in its health gate) are the deployer's business, not drift.

import type { Logger } from '@homeport/core';
import type { ContainerRuntime, RuntimeEvent } from '../runtime/index.js';
import type { DeployStore } from '../store/repositories.js';

export interface DriftEvent {
  stageId: string;
  project: string;
  stage: string;
  containerId: string;
  releaseId: string;
  kind: 'exited' | 'oom' | 'unhealthy' | 'healthy';
  exitCode: number | null;
  at: string;
}

export function watchDrift(options: {
  runtime: ContainerRuntime;
  store: DeployStore;
  log: Logger;
  onDrift(event: DriftEvent): void;
}): () => void {
  const abort = new AbortController();
  const handle = async (event: RuntimeEvent) => {
    if (event.kind === 'start') return;
    const kind =
      event.kind === 'die'
        ? 'exited'
        : event.kind === 'oom'
          ? 'oom'
          : event.health === 'unhealthy'
            ? 'unhealthy'
            : event.health === 'healthy'
              ? 'healthy'
              : undefined;
    if (!kind) return;
    const live = (await options.store.live.list()).find((l) => l.containerId === event.containerId);
    if (!live) return;
    const drift: DriftEvent = {
      stageId: live.stageId,
      project: event.labels.project,
      stage: event.labels.stage,
      containerId: event.containerId,
      releaseId: live.releaseId,
      kind,
      exitCode: event.exitCode ?? null,
      at: new Date(event.ts).toISOString(),
    };
    if (kind === 'healthy') options.log.info({ ...drift }, 'live container healthy again');
    else
      options.log.warn({ ...drift }, `drift: the live container of ${drift.project}/${drift.stage} ${kind}`);
    options.onDrift(drift);
  };
  void (async () => {
    try {
      for await (const event of options.runtime.events(abort.signal)) {
        await handle(event).catch((err: unknown) =>
          options.log.warn({ err }, 'drift: an engine event was not handled'),
        );
      }
    } catch (err) {
      if (!abort.signal.aborted) options.log.warn({ err }, 'drift: the engine event stream ended');
    }
  })();
  return () => abort.abort();
}
