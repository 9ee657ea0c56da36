// One deploy, start to end: resolve the digest → pull → start the new color → health gate → switch the
// proxy → check through the proxy that the new color answers → drain the old → stop it (kept for a grace
// window) → watch the new color, rolling back by itself on a regression. Before the switch any failure
// removes the new container and leaves the old one serving; every step is bounded by the deploy timeout or
// its own.

import type { Logger } from '@homeport/core';
import {
  type Color,
  type DeployRecord,
  otherColor,
  type ProjectRecord,
  type ReleaseRecord,
  type StageLive,
  type StageRecord,
} from '../model.js';
import type { ReverseProxy } from '../proxy/index.js';
import type { ContainerRuntime, RegistryAuth } from '../runtime/index.js';
import type { SecretBox } from '../secrets.js';
import type { DeployStore } from '../store/repositories.js';
import { buildContainer, openEnv } from './container-spec.js';
import { type ContainerVerdict, healthGate, probeOnce } from './health.js';
import type { RuntimeLogCollector } from './runtime-logs.js';
import { stageRoute, upstreamOf } from './stage-route.js';
import { type DeployNotifier, type Journal, openJournal, StepFailure } from './steps.js';

/** The registry as the deployer needs it (the registry client implements it). */
export interface DigestResolver {
  resolveDigest(image: string, tag: string, auth?: { username: string; password: string }): Promise<string>;
}

export interface RunnerDeps {
  store: DeployStore;
  runtime: ContainerRuntime;
  registry: DigestResolver;
  proxy: ReverseProxy;
  /** Where the built-in proxy listens now (undefined before it listens: then no check through it). */
  proxyPort(): number | undefined;
  probeToken: string;
  box: SecretBox;
  notifier: DeployNotifier;
  runtimeLogs: RuntimeLogCollector;
  allocatePort(): Promise<number>;
  /** Opens a project's registry credentials (undefined: anonymous). */
  registryAuth(project: ProjectRecord): { username: string; password: string } | undefined;
  newId(): string;
  log: Logger;
  clock: () => number;
}

export type RunOutcome = Extract<
  DeployRecord['status'],
  'succeeded' | 'failed' | 'cancelled' | 'rolled_back'
>;

/** Docker's view of a container reduced to what a health gate needs. */
async function verdictOf(
  runtime: ContainerRuntime,
  id: string,
): Promise<{ verdict: ContainerVerdict; detail: string }> {
  const state = await runtime.inspect(id);
  if (!state) return { verdict: 'exited', detail: 'the container is gone' };
  if (!state.running)
    return {
      verdict: 'exited',
      detail: `exit code ${state.exitCode ?? 'unknown'}${state.oomKilled ? ' (killed: out of memory)' : ''}`,
    };
  // A restart policy brings a crashing app back at once: a restart during the gate or watch is an exit.
  if (state.restartCount > 0)
    return {
      verdict: 'exited',
      detail: `it exited and was restarted ${state.restartCount} time(s) (last exit code ${state.exitCode ?? 'unknown'})`,
    };
  if (state.health === 'healthy') return { verdict: 'healthy', detail: 'healthy' };
  if (state.health === 'unhealthy') return { verdict: 'unhealthy', detail: 'unhealthy' };
  if (state.health === 'starting') return { verdict: 'starting', detail: 'starting' };
  return { verdict: 'running', detail: 'running' };
}

/**
 * Runs a claimed deploy to its end and returns the final status (the caller writes it with `finish`).
 * `signal` aborts on cancel or shutdown: honoured before the switch; after it the deploy completes.
 */
export async function runDeploy(
  deps: RunnerDeps,
  claimed: DeployRecord,
  signal: AbortSignal,
): Promise<{
  status: RunOutcome;
  error: { step: DeployRecord['steps'][number]['name']; reason: string } | null;
}> {
  const { store, runtime, clock } = deps;
  const stage = await store.stages.get(claimed.stageId);
  const project = await store.projects.get(claimed.projectId);
  if (!stage || !project)
    return { status: 'failed', error: { step: 'resolve', reason: 'the stage was removed' } };
  const log = deps.log.child({ project: project.name, stage: stage.name });
  const journal = openJournal({ deploy: claimed, store, notifier: deps.notifier, log, clock });
  journal.fields.project = project.name;
  journal.fields.stage = stage.name;
  if (claimed.tag) journal.fields.tag = claimed.tag;
  const auth = deps.registryAuth(project);
  if (auth) journal.addSecrets([auth.password]);

  const startedAt = clock();
  const deadline = startedAt + stage.config.deployTimeoutMs;
  const checkCancel = (step: Parameters<Journal['step']>[0]) => {
    if (signal.aborted) throw new StepFailure(step, String(signal.reason ?? 'cancelled'), 'cancelled');
    if (clock() > deadline)
      throw new StepFailure(step, `the deploy timeout (${stage.config.deployTimeoutMs} ms) passed`);
  };

  let created: string | undefined;
  let stoppedOldForRecreate: StageLive | undefined;
  try {
    // 1. resolve: the digest (webhook and promote bring it; a tag is resolved now) and the release.
    const release = await journal.step(
      'resolve',
      async () => resolveRelease(deps, journal, claimed, stage, auth),
      (r) => `release r${r.seq} ${r.image}@${r.digest}${r.tag ? ` (tag ${r.tag})` : ''}`,
    );
    journal.fields.digest = release.digest;
    const releaseSecrets = openEnv(release, deps.box).secrets;
    journal.addSecrets(releaseSecrets);
    journal.fields.release = release.id;
    const live = await store.live.get(stage.id);
    // A switch back to the previous color restarts its stopped container, when it is still there.
    const previous = live?.previous;
    const reuse =
      previous && previous.releaseId === release.id && (await runtime.inspect(previous.containerId)) !== null
        ? previous
        : undefined;

    // 2. pull by digest (skipped when the engine has it).
    checkCancel('pull');
    const reference = `${release.image}@${release.digest}`;
    await journal.step(
      'pull',
      async () => {
        if (await runtime.hasImage(reference)) return 'present';
        const pullSignal = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - clock()))]);
        const registryAuth: RegistryAuth | undefined = auth
          ? { ...auth, serveraddress: release.image.split('/')[0] ?? '' }
          : undefined;
        await runtime.pull(reference, registryAuth, pullSignal);
        return 'pulled';
      },
      (how) => (how === 'present' ? `${reference} already present` : `pulled ${reference}`),
    );

    // Recreate: the old color stops before the new one starts (exclusive volumes); it comes back on failure.
    if (release.config.strategy === 'recreate' && live) {
      checkCancel('stop_old');
      await journal.step(
        'stop_old',
        async () => {
          if (stage.config.host) await deps.proxy.drain(upstreamOf(live.port), release.config.drainTimeoutMs);
          await runtime.stop(live.containerId, Math.ceil(release.config.stopTimeoutMs / 1000));
          stoppedOldForRecreate = live;
        },
        () => `stopped ${live.color} (recreate strategy)`,
      );
    }

    // 3. start the new color (or restart the previous container when this is a switch back to it).
    checkCancel('start');
    const color: Color = reuse ? reuse.color : live ? otherColor(live.color) : 'blue';
    await store.deploys.progress(claimed.id, { color, releaseId: release.id, digest: release.digest });
    const startedAtMs = clock();
    const started = await journal.step(
      'start',
      async () => {
        await removeStaleColor(deps, project, stage, color, [live?.containerId, reuse?.containerId]);
        // The previous color's container was just replaced: a later rollback cannot switch back to it.
        if (live?.previous && !reuse && live.previous.color === color) {
          live.previous = null;
          await store.live.set({ ...live, previous: null });
        }
        if (reuse) {
          await runtime.start(reuse.containerId);
          return { id: reuse.containerId, port: reuse.port, reused: true };
        }
        const port = await deps.allocatePort();
        const container = buildContainer({
          project,
          stage,
          release,
          deployId: claimed.id,
          deploySeq: claimed.seq,
          color,
          port,
          box: deps.box,
        });
        const id = await runtime.create(container.spec);
        created = id;
        await runtime.start(id);
        return { id, port, reused: false };
      },
      (s) => `${s.reused ? 'restarted' : 'started'} ${color} ${s.id.slice(0, 12)} on 127.0.0.1:${s.port}`,
    );
    journal.fields.container = started.id;
    deps.runtimeLogs.follow(started.id, release.id, releaseSecrets);

    // 4. health gate.
    const imageHealthcheck = (await runtime.imageHealthcheck(reference)) !== null;
    const hostHeader = release.config.health.host ?? release.config.host ?? 'localhost';
    await journal.step(
      'health',
      async () => {
        const outcome = await healthGate({
          port: started.port,
          check: release.config.health,
          hostHeader,
          imageHealthcheck,
          container: () => verdictOf(runtime, started.id),
          deadline,
          clock,
          signal,
        });
        if (!outcome.ok) {
          if (signal.aborted) throw new StepFailure('health', outcome.reason, 'cancelled');
          const tail = await deps.runtimeLogs.tail(release.id, 20);
          throw new StepFailure(
            'health',
            tail ? `${outcome.reason}\n--- container output ---\n${tail}` : outcome.reason,
          );
        }
        return outcome.probes;
      },
      (probes) =>
        `healthy after ${probes} probe(s) of ${release.config.health.path}${imageHealthcheck ? ' and the image HEALTHCHECK' : ''}`,
    );
    checkCancel('switch');

    // 5. switch: from here on the deploy completes (a cancel no longer applies).
    const healthyAt = clock();
    const next: StageLive = {
      stageId: stage.id,
      releaseId: release.id,
      color,
      containerId: started.id,
      port: started.port,
      since: new Date(clock()).toISOString(),
      // The color that served until now (stopped below, or already for recreate), kept for a switch back.
      previous: live
        ? {
            releaseId: live.releaseId,
            color: live.color,
            containerId: live.containerId,
            port: live.port,
            until: new Date(clock() + release.config.graceMs).toISOString(),
          }
        : null,
    };
    await journal.step(
      'switch',
      async () => {
        if (release.config.host)
          await deps.proxy.setRoute(
            release.config.host,
            stageRoute({
              project: project.name,
              stage: stage.name,
              port: started.port,
              releaseId: release.id,
              color,
              healthPath: release.config.health.path,
            }),
          );
        await store.live.set(next);
        created = undefined; // live now: never removed by this deploy's cleanup
        return clock() - healthyAt;
      },
      (ms) =>
        release.config.host
          ? `${release.config.host} → ${color} (${ms} ms after healthy)`
          : `${color} is live (no public host)`,
    );

    // 6. verify through the proxy that new requests reach the new color.
    await journal.step(
      'verify',
      async () => verifyThroughProxy(deps, release),
      (how) => how,
    );

    // 7. drain and stop the old color (blue-green); kept stopped until the grace window ends.
    if (live && !stoppedOldForRecreate) {
      await journal.step(
        'drain',
        async () =>
          release.config.host
            ? deps.proxy.drain(upstreamOf(live.port), release.config.drainTimeoutMs)
            : { completed: 0, cut: 0, closedLongLived: 0 },
        (r) => `${r.completed} request(s) finished, ${r.cut} cut, ${r.closedLongLived} WebSocket/SSE closed`,
      );
      await journal.step(
        'stop_old',
        async () => runtime.stop(live.containerId, Math.ceil(release.config.stopTimeoutMs / 1000)),
        () =>
          `stopped ${live.color} ${live.containerId.slice(0, 12)}; kept ${release.config.graceMs} ms for a switch back`,
      );
    }

    // 8. watch: a regression in the first moments rolls back by itself.
    const regression = await journal.step(
      'watch',
      async () => watchNewColor(deps, release, started, hostHeader, startedAtMs),
      (r) => (r === null ? `healthy for ${release.config.watchMs} ms` : `regression: ${r}`),
    );
    if (regression !== null) {
      const rolledBack = await rollBack(deps, journal, project, stage, release, next, regression);
      return rolledBack
        ? { status: 'rolled_back', error: { step: 'watch', reason: regression } }
        : {
            status: 'failed',
            error: { step: 'watch', reason: `${regression}; no earlier color to roll back to` },
          };
    }
    await store.releases.markSucceeded(release.id, new Date(clock()).toISOString());
    await journal.line(`deploy succeeded: r${release.seq} ${release.digest} live on ${color}`);
    return { status: 'succeeded', error: null };
  } catch (err) {
    const failure =
      err instanceof StepFailure
        ? err
        : new StepFailure('resolve', err instanceof Error ? err.message : String(err));
    await cleanUpFailed(deps, journal, created, stoppedOldForRecreate);
    // The reason goes into the record, its events, the server log and a room announcement: masked like the
    // journal's lines (a registry or an app may echo a secret it was given).
    const reason = journal.mask(failure.reason);
    return {
      status: failure.status,
      error: { step: failure.step, reason: reason.split('\n')[0] ?? reason },
    };
  }
}

async function resolveRelease(
  deps: RunnerDeps,
  journal: Journal,
  deploy: DeployRecord,
  stage: StageRecord,
  auth: { username: string; password: string } | undefined,
): Promise<ReleaseRecord> {
  const { store, clock } = deps;
  if (deploy.releaseId) {
    const release = await store.releases.get(deploy.releaseId);
    if (!release) throw new StepFailure('resolve', 'the release to deploy no longer exists');
    return release;
  }
  let digest = deploy.digest;
  if (!digest) {
    if (!deploy.tag) throw new StepFailure('resolve', 'neither a tag nor a digest to deploy');
    await journal.line(`resolving ${stage.config.image}:${deploy.tag}`);
    digest = await deps.registry.resolveDigest(stage.config.image, deploy.tag, auth);
  }
  const existing = await store.releases.find(stage.id, digest, stage.configRevision);
  if (existing) return existing;
  return store.releases.create(
    {
      id: deps.newId(),
      stageId: stage.id,
      image: stage.config.image,
      tag: deploy.tag,
      digest,
      config: stage.config,
      configRevision: stage.configRevision,
    },
    new Date(clock()).toISOString(),
  );
}

/** Removes containers of the stage in `color` that are neither live nor about to be reused (old attempts). */
async function removeStaleColor(
  deps: RunnerDeps,
  project: ProjectRecord,
  stage: StageRecord,
  color: Color,
  keep: (string | undefined)[],
): Promise<void> {
  const stale = await deps.runtime.list({ project: project.name, stage: stage.name, color });
  for (const container of stale) if (!keep.includes(container.id)) await deps.runtime.remove(container.id);
}

async function verifyThroughProxy(deps: RunnerDeps, release: ReleaseRecord): Promise<string> {
  const host = release.config.host;
  const port = deps.proxyPort();
  if (!host) return 'not routed (no public host): nothing to check through the proxy';
  if (port === undefined) return 'the proxy is not listening yet: its table was checked instead';
  const deadline = deps.clock() + 5_000;
  let last = 'no answer yet';
  while (deps.clock() < deadline) {
    const result = await probeOnce(port, { ...release.config.health, timeoutMs: 2_000 }, host, {
      'x-homeport-probe': deps.probeToken,
    });
    const served = result.headers['x-homeport-release'];
    if (served === release.id) return `the proxy serves ${host} from r${release.seq} (${result.detail})`;
    last = `${result.detail}, served by ${String(served ?? 'nothing')}`;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new StepFailure('verify', `the proxy did not answer from the new release within 5 s (last: ${last})`);
}

/** Probes the new color for `watchMs`; the reason of a regression, or null when it stayed healthy. */
async function watchNewColor(
  deps: RunnerDeps,
  release: ReleaseRecord,
  started: { id: string; port: number },
  hostHeader: string,
  startedAtMs: number,
): Promise<string | null> {
  const { health, watchMs } = release.config;
  const end = deps.clock() + watchMs;
  // Failed probes within the start period (counted from the container's start) are not counted, as in Docker.
  const countFrom = startedAtMs + health.startPeriodMs;
  let failures = 0;
  while (deps.clock() < end) {
    const state = await verdictOf(deps.runtime, started.id);
    if (state.verdict === 'exited') return `the container exited (${state.detail})`;
    if (state.verdict === 'unhealthy') return "the image's HEALTHCHECK reports unhealthy";
    const result = await probeOnce(health.port ?? started.port, health, hostHeader);
    failures = result.ok || deps.clock() < countFrom ? 0 : failures + 1;
    if (failures >= health.unhealthyThreshold)
      return `${failures} failed health probes in a row (last: ${result.detail})`;
    await new Promise((r) => setTimeout(r, Math.min(health.intervalMs, Math.max(0, end - deps.clock()))));
  }
  return null;
}

/** Switches back to the previous color after a regression. false when there is none to go back to. */
async function rollBack(
  deps: RunnerDeps,
  journal: Journal,
  project: ProjectRecord,
  stage: StageRecord,
  release: ReleaseRecord,
  live: StageLive,
  reason: string,
): Promise<boolean> {
  const previous = live.previous;
  if (!previous) return false;
  const { runtime, store, clock } = deps;
  const back = await store.releases.get(previous.releaseId);
  if (!back) return false;
  return journal.step(
    'rollback',
    async () => {
      await journal.line(`rolling back to r${back.seq} (${reason})`);
      await runtime.start(previous.containerId);
      const outcome = await healthGate({
        port: previous.port,
        check: back.config.health,
        hostHeader: back.config.health.host ?? back.config.host ?? 'localhost',
        imageHealthcheck: (await runtime.imageHealthcheck(`${back.image}@${back.digest}`)) !== null,
        container: () => verdictOf(runtime, previous.containerId),
        deadline: clock() + back.config.deployTimeoutMs,
        clock,
        signal: new AbortController().signal,
      });
      if (!outcome.ok)
        throw new StepFailure('rollback', `the previous color did not come back: ${outcome.reason}`);
      if (back.config.host)
        await deps.proxy.setRoute(
          back.config.host,
          stageRoute({
            project: project.name,
            stage: stage.name,
            port: previous.port,
            releaseId: back.id,
            color: previous.color,
            healthPath: back.config.health.path,
          }),
        );
      await store.live.set({
        stageId: stage.id,
        releaseId: back.id,
        color: previous.color,
        containerId: previous.containerId,
        port: previous.port,
        since: new Date(clock()).toISOString(),
        previous: null,
      });
      if (release.config.host) await deps.proxy.drain(upstreamOf(live.port), release.config.drainTimeoutMs);
      await runtime.stop(live.containerId, Math.ceil(release.config.stopTimeoutMs / 1000));
      await runtime.remove(live.containerId);
      return true;
    },
    () => `r${back.seq} serves again on ${previous.color}`,
  );
}

async function cleanUpFailed(
  deps: RunnerDeps,
  journal: Journal,
  created: string | undefined,
  stoppedOld: StageLive | undefined,
): Promise<void> {
  try {
    if (created) {
      await deps.runtime.remove(created);
      await journal.line(`removed the new container ${created.slice(0, 12)}`);
    }
    if (stoppedOld) {
      await deps.runtime.start(stoppedOld.containerId);
      await journal.line(`restarted the old color ${stoppedOld.color} (recreate strategy)`);
    }
  } catch (err) {
    await journal.line(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
