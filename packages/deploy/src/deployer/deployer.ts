// The deploy queue: one deploy at a time per stage (the store's claim holds across replicas), a newer
// automatic deploy superseding a queued older one, cancel of queued and running deploys, the grace-window
// sweep of stopped colors, image garbage collection, and a shutdown that waits for running deploys up to a
// bound before cancelling what has not switched yet.

import type { Logger } from '@homeport/core';
import type { DeployRecord, StageRecord } from '../model.js';
import type { DeployInput } from '../store/repositories.js';
import { type RunnerDeps, runDeploy } from './run-deploy.js';

export interface Deployer {
  /** Queues a deploy and starts it when its stage is free. */
  enqueue(input: Omit<DeployInput, 'id'>, options?: { supersedeAutomatic?: boolean }): Promise<DeployRecord>;
  /** Cancels a queued deploy at once, a running one before its switch (after it, the deploy completes). */
  cancel(deployId: string): Promise<DeployRecord | undefined>;
  /** Deploys running in this process. */
  running(): string[];
  /** Claims queued deploys of this node's stages (also what other replicas queued) every `pollMs`. */
  start(): void;
  /**
   * Stops claiming, waits up to `timeoutMs` for running deploys, then cancels those still before their
   * switch and waits for them to clean up.
   */
  stop(timeoutMs: number): Promise<void>;
}

export interface DeployerOptions extends RunnerDeps {
  /** This replica's name in deploy claims, and the node it runs stages for. */
  runner: string;
  /** Whether this replica runs the stage's deploys (its Docker is the stage's node). */
  runsStage(stage: StageRecord): boolean;
  pollMs: number;
  log: Logger;
}

export function createDeployer(options: DeployerOptions): Deployer {
  const { store, clock, log } = options;
  const active = new Map<string, { deployId: string; abort: AbortController; done: Promise<void> }>();
  let accepting = true;
  let timer: NodeJS.Timeout | undefined;
  const now = () => new Date(clock()).toISOString();

  const runClaimed = async (claimed: DeployRecord, abort: AbortController) => {
    options.notifier.deployChanged(claimed);
    // A cancel asked on another replica reaches this one through the store.
    const watcher = setInterval(() => {
      void store.deploys.get(claimed.id).then(
        (current) => {
          if (current?.cancelRequested && !abort.signal.aborted) abort.abort('cancelled by request');
        },
        () => undefined, // a store hiccup: the next tick asks again
      );
    }, 1_000);
    try {
      const outcome = await runDeploy(options, claimed, abort.signal);
      const finished = await store.deploys.finish(claimed.id, outcome.status, outcome.error, now());
      if (finished) {
        options.notifier.deployChanged(finished);
        options.notifier.deployFinished?.(finished);
      }
      log.info(
        {
          deployId: claimed.id,
          stageId: claimed.stageId,
          status: outcome.status,
          error: outcome.error?.reason,
        },
        'deploy finished',
      );
      if (outcome.status === 'succeeded') await collectImages(claimed.stageId);
    } catch (err) {
      // runDeploy turns step failures into outcomes; what lands here is the store failing under it.
      log.error({ err, deployId: claimed.id }, 'deploy runner failed');
      const finished = await store.deploys
        .finish(claimed.id, 'failed', { step: 'resolve', reason: `internal error: ${String(err)}` }, now())
        .catch(() => undefined);
      if (finished) options.notifier.deployChanged(finished);
    } finally {
      clearInterval(watcher);
    }
  };

  const kick = async (stageId: string): Promise<void> => {
    if (!accepting || active.has(stageId)) return;
    const stage = await store.stages.get(stageId);
    if (!stage || !options.runsStage(stage)) return;
    const claimed = await store.deploys.claimNext(stageId, options.runner, now());
    if (!claimed) return;
    const abort = new AbortController();
    const done = runClaimed(claimed, abort).finally(() => {
      active.delete(stageId);
      void kick(stageId).catch((err: unknown) =>
        log.warn({ err, stageId }, 'claiming the next deploy failed'),
      );
    });
    active.set(stageId, { deployId: claimed.id, abort, done });
  };

  /** Keeps the images of the newest successful releases, the live one and the rollback target. */
  const collectImages = async (stageId: string) => {
    try {
      const stage = await store.stages.get(stageId);
      const live = await store.live.get(stageId);
      if (!stage) return;
      const releases = await store.releases.list(stageId, 200);
      const keep = new Set<string>();
      for (const r of releases.filter((r) => r.succeededAt !== null).slice(0, stage.config.keepReleases))
        keep.add(r.digest);
      for (const id of [live?.releaseId, live?.previous?.releaseId]) {
        const r = releases.find((x) => x.id === id);
        if (r) keep.add(r.digest);
      }
      for (const r of releases) {
        if (keep.has(r.digest)) continue;
        const reference = `${r.image}@${r.digest}`;
        if (!(await options.runtime.hasImage(reference))) continue;
        await options.runtime.removeImage(reference).catch((err: unknown) => {
          log.info({ err: String(err), reference }, 'image kept (in use or shared)');
        });
      }
    } catch (err) {
      log.warn({ err, stageId }, 'image garbage collection failed');
    }
  };

  /** Removes stopped colors whose grace window ended (a rollback after that starts a new container). */
  const sweepGrace = async () => {
    for (const live of await store.live.list()) {
      const previous = live.previous;
      if (!previous || Date.parse(previous.until) > clock() || active.has(live.stageId)) continue;
      const stage = await store.stages.get(live.stageId);
      if (!stage || !options.runsStage(stage)) continue;
      await options.runtime.remove(previous.containerId);
      await store.live.set({ ...live, previous: null });
      log.info(
        { stageId: live.stageId, containerId: previous.containerId },
        'grace window over: old color removed',
      );
    }
  };

  const tick = async () => {
    try {
      for (const stageId of await store.deploys.stagesWithQueued()) await kick(stageId);
      await sweepGrace();
    } catch (err) {
      log.warn({ err }, 'deploy queue tick failed');
    }
  };

  return {
    async enqueue(input, enqueueOptions = {}) {
      const { deploy, superseded } = await store.deploys.enqueue({ ...input, id: options.newId() }, now(), {
        supersedeAutomatic: enqueueOptions.supersedeAutomatic ?? false,
      });
      for (const s of superseded) options.notifier.deployChanged(s);
      options.notifier.deployChanged(deploy);
      void kick(deploy.stageId).catch((err: unknown) => log.warn({ err }, 'starting a deploy failed'));
      return deploy;
    },
    async cancel(deployId) {
      const record = await store.deploys.requestCancel(deployId, now());
      if (!record) return undefined;
      const local = [...active.values()].find((a) => a.deployId === deployId);
      if (local && record.status === 'running') local.abort.abort('cancelled by request');
      options.notifier.deployChanged(record);
      return record;
    },
    running: () => [...active.values()].map((a) => a.deployId),
    start() {
      if (timer) return;
      timer = setInterval(() => void tick(), options.pollMs);
      timer.unref();
      void tick();
    },
    async stop(timeoutMs) {
      accepting = false;
      if (timer) clearInterval(timer);
      timer = undefined;
      const all = [...active.values()];
      if (all.length === 0) return;
      log.info({ deploys: all.map((a) => a.deployId) }, 'waiting for running deploys before shutting down');
      const settled = Promise.all(all.map((a) => a.done));
      let bound: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((r) => {
          bound = setTimeout(() => r(true), timeoutMs);
        }),
      ]);
      clearTimeout(bound);
      if (timedOut) {
        for (const a of active.values()) a.abort.abort('Homeport is shutting down');
        await Promise.all([...active.values()].map((a) => a.done));
      }
    },
  };
}
