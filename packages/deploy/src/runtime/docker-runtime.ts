// ContainerRuntime over the Docker Engine API (dockerode). Every input is checked before a request is made
// (validate.ts); every failure becomes a DeployError (engine-errors.ts). Ordinary calls are bounded by
// requestTimeoutMs; streams (pull, logs, events) by their caller's signal instead, since they may be long and idle.

import type { Logger } from '@homeport/core';
import type Dockerode from 'dockerode';
import { DeployError } from '../errors.js';
import { toContainerState } from './container-state.js';
import { engineError, engineMessage, engineStatus } from './engine-errors.js';
import { followEvents } from './events.js';
import { labelFilters, toDockerLabels } from './labels.js';
import { LogDemuxer } from './log-lines.js';
import { pullImage } from './pull-image.js';
import type {
  ContainerLabels,
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ImageHealthcheck,
  ImageRemoval,
  LocalImage,
  RuntimeLogLine,
} from './types.js';
import {
  checkContainerId,
  checkImageTarget,
  checkPinnedReference,
  checkRepository,
  checkSpec,
} from './validate.js';

export interface DockerRuntimeOptions {
  /** `unix:///path/to/docker.sock` or `tcp://host:port` (plain HTTP: loopback or a trusted network only). */
  dockerHost: string;
  log: Logger;
  /** Bound on each non-streaming call (default 30 s); `stop` gets its own timeout on top. */
  requestTimeoutMs?: number;
}

// Docker's defaults when a HEALTHCHECK leaves a field at 0.
const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 };
// json-file rotation so a chatty app cannot fill the disk; Homeport keeps its own bounded copy of the output.
const LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };

/** The engine's address as dockerode takes it; checked when the runtime is made. */
function clientOptions(dockerHost: string): Dockerode.DockerOptions {
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    if (!socketPath.startsWith('/'))
      throw new DeployError('deploy_bad_request', `dockerHost needs an absolute socket path: ${dockerHost}`);
    return { socketPath };
  }
  const tcp = /^tcp:\/\/([a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(dockerHost);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]), protocol: 'http' };
  throw new DeployError(
    'deploy_bad_request',
    `dockerHost must be unix:///path or tcp://host:port, not ${JSON.stringify(dockerHost)}`,
  );
}

/**
 * The runtime with dockerode loaded on its first call: dockerode (with ssh2 and the modem under it) costs about
 * 200 ms to import, and every `homeport` command — `homeport user list` too — starts from the same bundle.
 */
function withEngineLoaded(inner: ContainerRuntime, ready: () => Promise<void>): ContainerRuntime {
  const after =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await ready();
      return method(...args);
    };
  const stream = <A extends unknown[], T>(method: (...args: A) => AsyncIterable<T>) =>
    async function* (...args: A): AsyncIterable<T> {
      await ready();
      yield* method(...args);
    };
  return {
    ping: after(inner.ping),
    pull: after(inner.pull),
    hasImage: after(inner.hasImage),
    imageHealthcheck: after(inner.imageHealthcheck),
    create: after(inner.create),
    start: after(inner.start),
    stop: after(inner.stop),
    remove: after(inner.remove),
    inspect: after(inner.inspect),
    list: after(inner.list),
    logs: stream(inner.logs),
    // events() takes its start time when called and waits for the client itself.
    events: inner.events,
    removeImage: after(inner.removeImage),
    listImages: after(inner.listImages),
  };
}

function nsToMs(ns: number | undefined, fallback: number): number {
  return ns ? Math.round(ns / 1e6) : fallback;
}

function toCreateOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.cmd === undefined ? {} : { Cmd: spec.cmd }),
    Labels: toDockerLabels(spec.labels),
    StopTimeout: spec.stopTimeoutSec,
    HostConfig: {
      NetworkMode: spec.network.mode,
      // Mounts (structured) rather than Binds ("src:dst:opts" strings), so no path can carry options.
      Mounts: spec.volumes.map((volume) => ({
        Type: volume.source.startsWith('/') ? ('bind' as const) : ('volume' as const),
        Source: volume.source,
        Target: volume.target,
        ReadOnly: volume.readOnly,
      })),
      ...(spec.memoryBytes === undefined ? {} : { Memory: spec.memoryBytes }),
      ...(spec.nanoCpus === undefined ? {} : { NanoCpus: spec.nanoCpus }),
      ...(spec.pidsLimit === undefined ? {} : { PidsLimit: spec.pidsLimit }),
      RestartPolicy: { Name: spec.restartPolicy },
      LogConfig: LOG_CONFIG,
      // A setuid binary in an app image cannot raise its privileges.
      SecurityOpt: ['no-new-privileges'],
    },
  };
}

/**
 * The Docker implementation of ContainerRuntime. Checks `dockerHost` now; connects lazily (`ping()` to check).
 *
 * @example
 *   const runtime = createDockerRuntime({ dockerHost: 'unix:///var/run/docker.sock', log });
 *   await runtime.pull(`${image}@${digest}`, auth, signal);
 *   const id = await runtime.create(spec);
 *   await runtime.start(id);
 */
export function createDockerRuntime(options: DockerRuntimeOptions): ContainerRuntime {
  const engine = clientOptions(options.dockerHost);
  // Set by ready() before any method below runs (withEngineLoaded awaits it).
  let docker!: Dockerode;
  let loading: Promise<void> | undefined;
  const ready = () =>
    (loading ??= import('dockerode').then(({ default: Client }) => {
      docker = new Client(engine);
    }));
  const log = options.log;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const bounded = (extraMs = 0) => AbortSignal.timeout(requestTimeoutMs + extraMs);

  /**
   * Bounds one engine call by the request timeout (plus `extraMs`): the signal aborts the request where dockerode
   * takes one, and the race ends the wait where it does not (image inspect, ping). A timeout rejects with
   * DeployError `runtime_unavailable`; other failures come back as dockerode threw them, for status checks.
   */
  function deadline<T>(action: string, run: (signal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> {
    const signal = bounded(extraMs);
    const timedOut = new Promise<never>((_, reject) => {
      signal.addEventListener(
        'abort',
        () =>
          reject(
            new DeployError(
              'runtime_unavailable',
              `Docker engine did not answer (${action}) within ${requestTimeoutMs + extraMs} ms`,
            ),
          ),
        { once: true },
      );
    });
    // The loser of the race must not surface as an unhandled rejection.
    timedOut.catch(() => undefined);
    return Promise.race([run(signal), timedOut]);
  }

  /** One engine call bounded by the request timeout, every failure turned into a DeployError. */
  async function call<T>(action: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await deadline(action, run);
    } catch (error) {
      throw engineError(error, action);
    }
  }

  async function inspectImage(reference: string): Promise<Dockerode.ImageInspectInfo | null> {
    try {
      return await deadline(`inspect image ${reference}`, () => docker.getImage(reference).inspect());
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw engineError(error, `inspect image ${reference}`);
    }
  }

  async function inspect(id: string): Promise<ContainerState | null> {
    checkContainerId(id);
    try {
      return toContainerState(
        await deadline(`inspect container ${id}`, (signal) =>
          docker.getContainer(id).inspect({ abortSignal: signal } as Dockerode.ContainerInspectOptions),
        ),
      );
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw engineError(error, `inspect container ${id}`);
    }
  }

  async function* logs(
    id: string,
    logOptions: { sinceMs?: number; follow: boolean; signal?: AbortSignal },
  ): AsyncGenerator<RuntimeLogLine> {
    checkContainerId(id);
    const signal = logOptions.signal;
    const query = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(logOptions.sinceMs === undefined ? {} : { since: (logOptions.sinceMs / 1000).toFixed(3) }),
      // A followed stream is bounded by the caller's signal, a finite read by the request timeout.
      abortSignal: logOptions.follow
        ? (signal ?? new AbortController().signal)
        : AbortSignal.any([bounded(), ...(signal ? [signal] : [])]),
    };
    const demuxer = new LogDemuxer();
    let source: NodeJS.ReadableStream | Buffer;
    try {
      // dockerode's types overload on `follow`; the two calls differ only in the shape of what comes back.
      source = logOptions.follow
        ? await docker
            .getContainer(id)
            .logs({ ...query, follow: true } as Dockerode.ContainerLogsOptions & { follow: true })
        : await docker
            .getContainer(id)
            .logs({ ...query, follow: false } as Dockerode.ContainerLogsOptions & { follow?: false });
    } catch (error) {
      if (signal?.aborted) return;
      throw engineError(error, `logs of ${id}`);
    }
    if (Buffer.isBuffer(source)) {
      yield* demuxer.push(source);
      yield* demuxer.end();
      return;
    }
    try {
      for await (const chunk of source)
        yield* demuxer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    } catch (error) {
      if (!signal?.aborted) throw engineError(error, `logs of ${id}`);
    }
    yield* demuxer.end();
  }

  const runtime: ContainerRuntime = {
    async ping() {
      await call('ping', () => docker.ping());
    },

    async pull(reference, auth, signal) {
      checkPinnedReference(reference);
      await pullImage(docker, log, reference, auth, signal);
    },

    async hasImage(reference) {
      checkPinnedReference(reference);
      return (await inspectImage(reference)) !== null;
    },

    async imageHealthcheck(reference): Promise<ImageHealthcheck | null> {
      checkPinnedReference(reference);
      const image = await inspectImage(reference);
      if (!image) throw new DeployError('runtime_failed', `image ${reference} is not present; pull it first`);
      const check = image.Config?.Healthcheck;
      if (!check?.Test || check.Test.length === 0 || check.Test[0] === 'NONE') return null;
      return {
        test: check.Test,
        intervalMs: nsToMs(check.Interval, HEALTH_DEFAULTS.intervalMs),
        timeoutMs: nsToMs(check.Timeout, HEALTH_DEFAULTS.timeoutMs),
        retries: check.Retries || HEALTH_DEFAULTS.retries,
        startPeriodMs: nsToMs(check.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
      };
    },

    async create(spec) {
      checkSpec(spec);
      const container = await call(`create container ${spec.name}`, (signal) =>
        docker.createContainer({ ...toCreateOptions(spec), abortSignal: signal }),
      );
      log.info(
        { containerId: container.id, name: spec.name, image: spec.image, labels: spec.labels },
        'container created',
      );
      return container.id;
    },

    async start(id) {
      checkContainerId(id);
      try {
        await deadline(`start container ${id}`, (signal) =>
          docker.getContainer(id).start({ abortSignal: signal }),
        );
      } catch (error) {
        // 304: already running, which is what start wants.
        if (engineStatus(error) !== 304) throw engineError(error, `start container ${id}`);
      }
    },

    async stop(id, timeoutSec) {
      checkContainerId(id);
      if (!Number.isSafeInteger(timeoutSec) || timeoutSec < 0 || timeoutSec > 3600)
        throw new DeployError('deploy_bad_request', 'stop timeout must be an integer from 0 to 3600 seconds');
      try {
        // The engine answers once the container is gone, up to timeoutSec later (then it has SIGKILLed it).
        await deadline(
          `stop container ${id}`,
          (signal) => docker.getContainer(id).stop({ t: timeoutSec, abortSignal: signal }),
          timeoutSec * 1000,
        );
      } catch (error) {
        // 304: already stopped; 404: gone. Both leave it not running.
        const status = engineStatus(error);
        if (status !== 304 && status !== 404) throw engineError(error, `stop container ${id}`);
      }
    },

    async remove(id) {
      checkContainerId(id);
      try {
        await deadline(`remove container ${id}`, (signal) =>
          docker.getContainer(id).remove({ force: true, v: true, abortSignal: signal }),
        );
      } catch (error) {
        const status = engineStatus(error);
        // 404: gone already. 409 "removal already in progress": someone else is removing it.
        if (status === 404 || (status === 409 && /already in progress/i.test(engineMessage(error)))) return;
        throw engineError(error, `remove container ${id}`);
      }
    },

    inspect,

    async list(filter: Partial<ContainerLabels> = {}) {
      const summaries = await call('list containers', (signal) =>
        docker.listContainers({ all: true, filters: { label: labelFilters(filter) }, abortSignal: signal }),
      );
      // The summary lacks exit code and health; inspect each (a container removed meanwhile drops out).
      const states = await Promise.all(summaries.map((summary) => inspect(summary.Id)));
      return states.filter((state): state is ContainerState => state !== null);
    },

    logs,

    events(signal) {
      // Events from this call on, those before the first read included: the time is taken now.
      const since = Date.now();
      return (async function* () {
        await ready();
        yield* followEvents(docker, log, signal, since);
      })();
    },

    async removeImage(reference): Promise<ImageRemoval> {
      checkImageTarget(reference);
      try {
        await deadline(`remove image ${reference}`, (signal) =>
          docker.getImage(reference).remove({ force: false, noprune: false, abortSignal: signal }),
        );
        log.info({ reference }, 'image removed');
        return 'removed';
      } catch (error) {
        const status = engineStatus(error);
        if (status === 404) return 'absent';
        // Used by a container (running or stopped), or an id referenced by several repositories: kept, never forced.
        if (status === 409) {
          log.info({ reference, reason: engineMessage(error) }, 'image kept: in use');
          return 'in_use';
        }
        throw engineError(error, `remove image ${reference}`);
      }
    },

    async listImages(repository): Promise<LocalImage[]> {
      checkRepository(repository);
      const images = await call('list images', (signal) => docker.listImages({ abortSignal: signal }));
      const prefix = `${repository}@`;
      return images.flatMap((image) => {
        const digests = (image.RepoDigests ?? [])
          .filter((ref) => ref.startsWith(prefix))
          .map((ref) => ref.slice(prefix.length));
        return digests.length === 0 ? [] : [{ id: image.Id, digests, createdAt: image.Created * 1000 }];
      });
    },
  };
  return withEngineLoaded(runtime, ready);
}
