// Real nats-server processes for tests: one server (JetStream, no auth unless asked) or a 3-node JetStream
// cluster on loopback routes, each on free ports under a temp dir, stopped by PID and restartable in place.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { freePort } from './free-port.js';
import { type ExitStatus, type ManagedProcess, startProcess } from './process/managed-process.js';
import { requireCommand } from './require-command.js';
import { tempDir } from './temp-dir.js';

export interface StartNatsServerOptions {
  /** JetStream on (default true). */
  jetstream?: boolean;
  /** Require this user and password from every client (default: no auth). */
  auth?: { user: string; password: string };
  /** Extra nats-server configuration appended to the generated file. */
  extraConfig?: string;
  /** The nats-server binary (default: `nats-server` on PATH or in /usr/sbin). */
  binary?: string;
  /** Server name (default `nats-<port>`). */
  name?: string;
  env?: Record<string, string | undefined>;
}

export interface NatsServerInstance {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:<monitor port>` (/healthz, /varz, /jsz). */
  readonly monitorUrl: string;
  readonly name: string;
  /** The folder holding the config file and the JetStream store; kept across restarts. */
  readonly dir: string;
  readonly configFile: string;
  /** The current process (a new one after each restart). */
  readonly process: ManagedProcess;
  /** SIGTERM by PID (SIGKILL after `timeoutMs`); resolves once it exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** Starts it again on the same ports with the same store, after a stop or a crash. */
  restart(): Promise<void>;
}

interface NodeLayout {
  name: string;
  port: number;
  monitorPort: number;
  dir: string;
  cluster?: { name: string; port: number; routes: readonly number[] };
}

const PORT_ATTEMPTS = 5;

/** nats-server from PATH, else Debian's /usr/sbin (not on an ordinary user's PATH); loud when missing. */
function natsServerBinary(binary: string | undefined): string {
  if (binary !== undefined) return requireCommand(binary, 'nats-server');
  return requireCommand('nats-server', 'nats-server', `${process.env.PATH ?? ''}:/usr/sbin`);
}

function renderConfig(layout: NodeLayout, options: StartNatsServerOptions): string {
  const lines = [
    `server_name: ${JSON.stringify(layout.name)}`,
    `listen: "127.0.0.1:${layout.port}"`,
    `http: "127.0.0.1:${layout.monitorPort}"`,
  ];
  if (options.jetstream ?? true)
    lines.push(`jetstream { store_dir: ${JSON.stringify(join(layout.dir, 'jetstream'))} }`);
  if (options.auth)
    lines.push(
      `authorization { user: ${JSON.stringify(options.auth.user)}, password: ${JSON.stringify(options.auth.password)} }`,
    );
  if (layout.cluster) {
    const routes = layout.cluster.routes.map((port) => `"nats-route://127.0.0.1:${port}"`).join(', ');
    lines.push(
      `cluster { name: ${JSON.stringify(layout.cluster.name)}, listen: "127.0.0.1:${layout.cluster.port}", routes: [${routes}] }`,
    );
  }
  if (options.extraConfig) lines.push(options.extraConfig);
  return `${lines.join('\n')}\n`;
}

/** Starts the process of one node; `readyPath` is the monitoring path polled until it answers 2xx. */
function launch(
  binary: string,
  layout: NodeLayout,
  configFile: string,
  options: StartNatsServerOptions,
  readyPath: string,
): Promise<ManagedProcess> {
  return startProcess(binary, ['-c', configFile], {
    name: `nats-server ${layout.name}`,
    ready: { url: `http://127.0.0.1:${layout.monitorPort}${readyPath}` },
    // A restarted cluster node is ready once its JetStream caught up with the others; on a 2-core machine
    // running other cluster suites at the same time that has taken over 30 s.
    timeoutMs: layout.cluster === undefined ? 30_000 : 90_000,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}

function instance(
  binary: string,
  layout: NodeLayout,
  options: StartNatsServerOptions,
  first: ManagedProcess,
  restartReadyPath: string,
): NatsServerInstance {
  const configFile = join(layout.dir, 'nats-server.conf');
  let current = first;
  return {
    url: `nats://127.0.0.1:${layout.port}`,
    port: layout.port,
    monitorUrl: `http://127.0.0.1:${layout.monitorPort}`,
    name: layout.name,
    dir: layout.dir,
    configFile,
    get process() {
      return current;
    },
    stop: (signal, timeoutMs) => current.stop(signal, timeoutMs),
    async restart() {
      if (current.exitStatus() === undefined)
        throw new Error(`nats-server ${layout.name} (pid ${current.pid}) is still running; stop it first`);
      current = await launch(binary, layout, configFile, options, restartReadyPath);
    },
  };
}

/**
 * A nats-server on free loopback ports with its store in a temp dir, ready once `/healthz` answers 200.
 *
 * @example
 *   const nats = await startNatsServer();
 *   const nc = await connect({ servers: nats.url });
 *   await nats.stop();
 */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServerInstance> {
  const binary = natsServerBinary(options.binary);
  const dir = tempDir('homeport-nats-');
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    let monitorPort = await freePort();
    while (monitorPort === port) monitorPort = await freePort();
    const layout: NodeLayout = { name: options.name ?? `nats-${port}`, port, monitorPort, dir };
    const configFile = join(dir, 'nats-server.conf');
    writeFileSync(configFile, renderConfig(layout, options));
    try {
      const process = await launch(binary, layout, configFile, options, '/healthz');
      return instance(binary, layout, options, process, '/healthz');
    } catch (error) {
      // freePort() cannot reserve a port: another process may have taken it before nats-server bound it.
      const raced = error instanceof TestkitError && /address already in use/i.test(error.message);
      if (!raced || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

export interface NatsClusterInstance {
  readonly nodes: readonly NatsServerInstance[];
  /** Every node's client URL, for a client's `servers` list. */
  readonly urls: string[];
  /**
   * Polls until every running node knows a JetStream meta leader and (unless `healthz: false`) answers
   * /healthz. On nats-server 2.9 a node whose stream log diverged (a write that timed out on a lone leader)
   * can fail /healthz for a minute or more after a restart while the cluster already serves: callers that
   * then wait for the store themselves pass `healthz: false`.
   */
  waitForJetStream(timeoutMs?: number, options?: { healthz?: boolean }): Promise<void>;
  /** Stops every node still running. */
  stop(): Promise<void>;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) {
    await response.arrayBuffer();
    return undefined;
  }
  return response.json();
}

async function jetStreamReady(nodes: readonly NatsServerInstance[], healthz: boolean): Promise<boolean> {
  const running = nodes.filter((node) => node.process.exitStatus() === undefined);
  try {
    for (const node of running) {
      const jsz = (await getJson(`${node.monitorUrl}/jsz`)) as
        | { meta_cluster?: { leader?: string } }
        | undefined;
      if (!jsz?.meta_cluster?.leader) return false;
      if (!healthz) continue;
      const health = await fetch(`${node.monitorUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      await health.arrayBuffer();
      if (!health.ok) return false;
    }
    return running.length > 0;
  } catch {
    // A node still starting refuses the connection: not ready yet.
    return false;
  }
}

/**
 * `size` nats-servers with JetStream in one cluster on loopback routes (each routes to all the others),
 * ready once JetStream has a meta leader. Each node can be stopped and restarted on the same ports and store.
 *
 * @example
 *   const cluster = await startNatsCluster(3);
 *   await cluster.nodes[0].stop();
 *   await cluster.nodes[0].restart();
 *   await cluster.waitForJetStream();
 */
export async function startNatsCluster(
  size = 3,
  options: Omit<StartNatsServerOptions, 'name'> = {},
): Promise<NatsClusterInstance> {
  const binary = natsServerBinary(options.binary);
  const clusterName = `homeport-test-${(await freePort()).toString(36)}`;
  const ports = new Set<number>();
  const take = async (): Promise<number> => {
    let port = await freePort();
    while (ports.has(port)) port = await freePort();
    ports.add(port);
    return port;
  };
  const plain: { port: number; monitorPort: number; routePort: number; dir: string }[] = [];
  for (let i = 0; i < size; i += 1)
    plain.push({
      port: await take(),
      monitorPort: await take(),
      routePort: await take(),
      dir: tempDir('homeport-nats-node-'),
    });
  const layouts: NodeLayout[] = plain.map((node, i) => ({
    name: `n${i + 1}`,
    port: node.port,
    monitorPort: node.monitorPort,
    dir: node.dir,
    cluster: {
      name: clusterName,
      port: node.routePort,
      routes: plain.filter((_, j) => j !== i).map((other) => other.routePort),
    },
  }));
  for (const layout of layouts)
    writeFileSync(
      join(layout.dir, 'nats-server.conf'),
      renderConfig(layout, { ...options, jetstream: true }),
    );
  // A clustered node's /healthz waits for a JetStream meta leader, which needs the others up: the first wait
  // is for monitoring to answer, then for the cluster as a whole. A restarted node rejoins running peers, so
  // its own /healthz is the right wait.
  const processes = await Promise.allSettled(
    layouts.map((layout) => launch(binary, layout, join(layout.dir, 'nats-server.conf'), options, '/varz')),
  );
  const failed = processes.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(
      processes.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    );
    throw failed.reason;
  }
  const nodes = layouts.map((layout, i) =>
    instance(
      binary,
      layout,
      options,
      (processes[i] as PromiseFulfilledResult<ManagedProcess>).value,
      '/healthz',
    ),
  );
  const cluster: NatsClusterInstance = {
    nodes,
    urls: nodes.map((node) => node.url),
    async waitForJetStream(timeoutMs = 60_000, options: { healthz?: boolean } = {}) {
      const healthz = options.healthz ?? true;
      const deadline = Date.now() + timeoutMs;
      while (!(await jetStreamReady(nodes, healthz))) {
        if (Date.now() > deadline)
          throw new TestkitError(
            'startup_failed',
            `nats cluster ${clusterName}: JetStream not ready after ${timeoutMs} ms (a meta leader known on every node${healthz ? ' and /healthz ok' : ''})\n${nodes.map((node) => node.process.output()).join('\n')}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
  try {
    await cluster.waitForJetStream();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
