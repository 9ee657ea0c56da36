// A private Docker engine for tests: dockerd (with its own containerd) under a short temp dir, talking on a unix
// socket there, started in its own PID and mount namespace so nothing it starts can outlive it.
//
// Why the namespaces: containerd-shim processes daemonize and survive a killed dockerd, and with them every
// container and its overlay mounts (checked on this machine: SIGKILL dockerd and the shim, the container and
// D/exec/netns/default all stay). `unshare --pid --fork --kill-child --mount-proc` makes dockerd PID 1 of a new
// PID namespace: when it dies the kernel kills every process in the namespace, shims and containers included,
// and its mounts vanish with the mount namespace. The chain on a test worker that dies however it dies:
// setpriv PDEATHSIG → unshare → --kill-child SIGKILLs dockerd → the namespace is torn down.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { type ManagedProcess, startProcess } from './process/managed-process.js';
import { childrenOf, isAlive } from './process/pid-file-daemon.js';
import { register, type Stoppable, unregister } from './process/registry.js';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export interface StartDockerdOptions {
  /** How long start-up may take (default 60 s: the first start on a busy 2-core machine is slow). */
  timeoutMs?: number;
  /** Extra dockerd flags, appended after the testkit's own. */
  extraArgs?: readonly string[];
}

export interface DockerdInstance {
  /** The engine's unix socket (`<dir>/docker.sock`). */
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST or a client's options. */
  readonly dockerHost: string;
  /** The temp dir holding data-root, exec-root, the socket and the pid file; removed by stop(). */
  readonly dir: string;
  /** The `unshare` process whose only child is dockerd; killing it ends the whole engine. */
  readonly process: ManagedProcess;
  /**
   * Removes every container (force), SIGTERMs dockerd (SIGKILL to the namespace after 15 s), unmounts anything
   * left under `dir` and removes it. Calling it again returns the first call's promise.
   */
  stop(): Promise<void>;
}

export interface DockerResponse {
  status: number;
  body: string;
}

export interface DockerRequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Extra headers, e.g. `X-Registry-Auth` for a pull. */
  headers?: Record<string, string>;
  /** Default 60 s. */
  timeoutMs?: number;
}

/**
 * One request to the Docker Engine API over its unix socket, read to the end. For test assertions and clean-up
 * (the product talks to Docker through its runtime module, not this).
 *
 * @example
 *   const { status, body } = await dockerRequest(dockerd.socketPath, 'GET', '/containers/json?all=1');
 */
export function dockerRequest(
  socketPath: string,
  method: string,
  path: string,
  options: DockerRequestOptions = {},
): Promise<DockerResponse> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: {
          host: 'docker',
          ...options.headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function dockerdBinary(): string {
  // Debian puts dockerd in /usr/sbin, which is not on every user's PATH.
  return requireCommand('dockerd', 'docker.io', `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin`);
}

/** Mount points at or under `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    // Field 5 is the mount point, with spaces and the like octal-escaped.
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map((point) =>
      point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    )
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}

/** PIDs of live processes whose command line mentions `dir` (dockerd, containerd, shims of this engine). */
export function processesMentioning(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      // Exited while we listed /proc.
      continue;
    }
    if (cmdline.split('\0').some((arg) => arg.includes(dir)) && isAlive(Number(entry)))
      found.push(Number(entry));
  }
  return found;
}

async function pingOk(socketPath: string): Promise<boolean> {
  try {
    const answer = await dockerRequest(socketPath, 'GET', '/_ping', { timeoutMs: 2000 });
    return answer.status === 200 && answer.body === 'OK';
  } catch {
    // No socket yet, or the engine is still starting.
    return false;
  }
}

async function removeAllContainers(socketPath: string): Promise<void> {
  const listed = await dockerRequest(socketPath, 'GET', '/containers/json?all=1');
  if (listed.status !== 200) throw new Error(`listing containers: ${listed.status} ${listed.body}`);
  const containers = JSON.parse(listed.body) as { Id: string }[];
  await Promise.all(
    containers.map(async ({ Id }) => {
      const removed = await dockerRequest(socketPath, 'DELETE', `/containers/${Id}?force=1&v=1`);
      // 404: it went away meanwhile (an auto-removed container), which is what we want.
      if (removed.status !== 204 && removed.status !== 404)
        throw new Error(`removing container ${Id}: ${removed.status} ${removed.body}`);
    }),
  );
}

/**
 * Starts a private dockerd (overlay2, no bridge, no iptables) and resolves once `GET /_ping` on its socket
 * answers `OK`. Loopback registries are insecure-allowed by default, so `127.0.0.1:<port>/repo` pulls over HTTP.
 *
 * @example
 *   const dockerd = await startDockerd();
 *   const runtime = createDockerRuntime({ dockerHost: dockerd.dockerHost, log });
 *   await dockerd.stop();
 */
export async function startDockerd(options: StartDockerdOptions = {}): Promise<DockerdInstance> {
  const dockerd = dockerdBinary();
  const unshare = requireCommand('unshare', 'util-linux');
  // Short: the socket path must stay under the 108-byte unix socket limit.
  const dir = tempDir('hpd-');
  const socketPath = join(dir, 'docker.sock');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = [
    '--pid',
    '--fork',
    '--kill-child',
    '--mount-proc',
    dockerd,
    '--data-root',
    join(dir, 'data'),
    '--exec-root',
    join(dir, 'exec'),
    '--host',
    `unix://${socketPath}`,
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '--bridge',
    'none',
    '--iptables=false',
    '--ip6tables=false',
    ...(options.extraArgs ?? []),
  ];
  const engine = await startProcess(unshare, args, { name: 'dockerd' });

  const deadline = Date.now() + timeoutMs;
  while (!(await pingOk(socketPath))) {
    const exited = engine.exitStatus();
    if (exited !== undefined || Date.now() > deadline) {
      await engine.stop('SIGKILL');
      const reason = exited
        ? `exited (${JSON.stringify(exited)})`
        : `did not answer /_ping within ${timeoutMs} ms`;
      throw new TestkitError('startup_failed', `dockerd in ${dir} ${reason}\n${engine.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      let removeError: unknown;
      if (engine.exitStatus() === undefined) {
        try {
          await removeAllContainers(socketPath);
        } catch (error) {
          // A dockerd killed just before (its exit not seen yet) took its namespace and the containers with it:
          // nothing is left to report. Otherwise still stop the engine (the namespace takes the containers with
          // it) and report afterwards.
          const gone = await Promise.race([
            engine.exited.then(() => true),
            new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000)),
          ]);
          if (!gone) removeError = error;
        }
        // unshare neither forwards SIGTERM nor dies of it, so dockerd (its only child) gets the signal; unshare
        // exits with it. SIGKILL to unshare is the fallback, which ends the namespace at once.
        for (const child of childrenOf(engine.pid)) {
          try {
            process.kill(child, 'SIGTERM');
          } catch {
            // Already gone: unshare exits on its own.
          }
        }
        const graceful = await Promise.race([
          engine.exited.then(() => true),
          new Promise<false>((resolve) => setTimeout(() => resolve(false), 15_000)),
        ]);
        if (!graceful) await engine.stop('SIGKILL');
      }
      // The engine's mounts live in its own mount namespace; this only matters if someone passed extraArgs or
      // ran it differently, and costs one read of mountinfo.
      for (const point of mountsUnder(dir)) execFileSync(requireCommand('umount', 'mount'), ['-l', point]);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      unregister(entry);
      if (removeError !== undefined)
        throw new Error(`dockerd stopped, but removing its containers failed first: ${String(removeError)}`);
    })();
    return stopping;
  };
  // stopAll() runs this too, so containers are removed before the engine goes; the process's own entry (and its
  // SIGKILL on exit) stays as the fallback.
  const entry: Stoppable = { description: `dockerd in ${dir}`, stop };
  register(entry);

  return { socketPath, dockerHost: `unix://${socketPath}`, dir, process: engine, stop };
}
