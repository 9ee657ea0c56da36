// bench/startup: `homeport start` (the built bundle, SQLite, default modules) to its first 200 on /ready, on a
// fresh data dir and on one already used, next to Node's own start-up and a bare Fastify app's first 200.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, HOMEPORT_BUNDLE, tempDir } from '@homeport/testkit';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure } from '../lib/types.js';
import { type LaunchResult, launch, POLL_MS } from './launch.js';
import { LOADING, phasesOfProfile } from './profile.js';

const RUNS = 7;
const PEER_FASTIFY = fileURLToPath(new URL('../http/peer-fastify.mjs', import.meta.url));
const GOAL = { comparison: '<', target: 1000 } as const;

type Target = 'node' | 'fastify' | 'fresh' | 'used' | 'nobus';
const TARGETS: readonly Target[] = ['node', 'fastify', 'fresh', 'used', 'nobus'];
/** The used data dir with the bus left out: what NATS (the managed nats-server, its identity) adds. */
const WITHOUT_BUS = { HOMEPORT_MODULES: 'accounts,nas' } as const;

/** The environment a person starting Homeport has, minus their HOMEPORT_* settings; ports free on loopback. */
async function homeportEnv(): Promise<Record<string, string | undefined>> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('HOMEPORT_')) env[key] = undefined;
  return {
    ...env,
    // The first start creates the admin from it (one argon2id hash), as an install script would.
    HOMEPORT_ADMIN_PASSWORD: 'startup-bench-password-1',
    HOMEPORT_DAV_PORT: String(await freePort()),
    HOMEPORT_PROXY_PORT: '0',
  };
}

async function startHomeport(
  context: BenchmarkContext,
  name: string,
  dataDir: string,
  options: { nodeArgs?: readonly string[]; env?: Record<string, string> } = {},
): Promise<LaunchResult> {
  const port = await freePort();
  return launch({
    name,
    command: process.execPath,
    args: [
      ...(options.nodeArgs ?? []),
      HOMEPORT_BUNDLE,
      'start',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dataDir,
    ],
    env: { ...(await homeportEnv()), ...options.env },
    url: `http://127.0.0.1:${port}/ready`,
    logFile: join(context.workDir, `${name}.log`),
  });
}

async function runOnce(context: BenchmarkContext, target: Target, usedDir: string, round: number) {
  const name = `${target}-${round}`;
  const logFile = join(context.workDir, `${name}.log`);
  switch (target) {
    case 'node':
      return launch({ name, command: process.execPath, args: ['-e', ''], logFile });
    case 'fastify': {
      const port = await freePort();
      return launch({
        name,
        command: process.execPath,
        args: [PEER_FASTIFY, String(port)],
        url: `http://127.0.0.1:${port}/user`,
        logFile,
      });
    }
    case 'fresh':
      return startHomeport(context, name, tempDir('homeport-startup-fresh-'));
    case 'used':
      return startHomeport(context, name, usedDir);
    case 'nobus':
      return startHomeport(context, name, usedDir, { env: WITHOUT_BUS });
  }
}

const medianOf = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const runsOf = (results: readonly LaunchResult[]) =>
  results
    .map((result) => `${Math.round(result.ms)}${result.cpuMs === undefined ? '' : `/${result.cpuMs}`}`)
    .join(', ');

/** Profiled starts: one profile swings with what else the machine does, so each phase is a median of these. */
const PROFILED_RUNS = 3;

/**
 * More starts on the used data dir under `--cpu-prof`, each split into phases up to its first 200; a phase's
 * figure is its median share of the profiled time, each run's milliseconds in the detail.
 */
async function whereTimeGoes(context: BenchmarkContext, usedDir: string): Promise<Figure[]> {
  const runs: { phases: Map<string, number>; totalMs: number }[] = [];
  for (let run = 1; run <= PROFILED_RUNS; run += 1) {
    const dir = join(context.workDir, `cpu-profile-${run}`);
    mkdirSync(dir, { recursive: true });
    const started = await startHomeport(context, `profiled-${run}`, usedDir, {
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    });
    runs.push(phasesOfProfile(dir, started.ms));
    context.log(`profiled start ${run} (used data dir, --cpu-prof): ${Math.round(started.ms)} ms to /ready`);
  }
  const names = [...new Set(runs.flatMap((run) => [...run.phases.keys()]))];
  const share = (name: string) =>
    medianOf(runs.map((run) => (100 * (run.phases.get(name) ?? 0)) / run.totalMs));
  const sorted = names.sort((a, b) => share(b) - share(a));
  context.log(`by phase (median share of ${PROFILED_RUNS} profiled starts):`);
  for (const name of sorted) context.log(`  ${formatNumber(share(name), 0).padStart(3)}%  ${name}`);
  return sorted.map((name) => ({
    label: `profiled start: ${name}`,
    value: share(name),
    unit: '%',
    detail: `ms per run: ${runs.map((run) => Math.round(run.phases.get(name) ?? 0)).join(', ')} of ${runs.map((run) => Math.round(run.totalMs)).join(', ')} profiled${name === LOADING ? ' (V8 compile and module evaluation)' : ''}`,
  }));
}

export const benchmark: Benchmark = {
  name: 'startup',
  description:
    'homeport start (bundle, SQLite, default modules) to its first 200 on /ready, fresh and used data dir, vs node -e "" and bare Fastify',
  async run(context) {
    // Wall-clock figures mean little on a busy machine; the load average says how busy it was.
    const loadBefore = machineLoad();
    const usedDir = tempDir('homeport-startup-used-');
    // The used data dir is made by one start that is not measured (database, admin, secrets, NATS identity);
    // it also warms the page cache for the bundle, as every later start finds it.
    const first = await startHomeport(context, 'prepare-used', usedDir);
    context.log(
      `Homeport: node ${HOMEPORT_BUNDLE} start --port <free> --bind 127.0.0.1 --data-dir <dir>, no HOMEPORT_* ` +
        'settings besides HOMEPORT_ADMIN_PASSWORD, HOMEPORT_DAV_PORT=<free>, HOMEPORT_PROXY_PORT=0 (default modules: ' +
        `NAS with its embedded agent, the bus when nats-server is installed, deploy when Docker is); first start ${Math.round(first.ms)} ms`,
    );
    context.log(
      `peers: node -e '' (spawn to exit) and bench/http/peer-fastify.mjs (Fastify ${fastifyVersion()}, default options, ` +
        `one route) to its first 200; ${RUNS} rounds, each visiting the five in turn (the fifth: the used data dir with HOMEPORT_MODULES=accounts,nas); /ready polled every ${POLL_MS} ms on a new connection`,
    );
    const runs: Record<Target, LaunchResult[]> = { node: [], fastify: [], fresh: [], used: [], nobus: [] };
    for (let round = 1; round <= RUNS; round += 1) {
      for (const target of TARGETS) runs[target].push(await runOnce(context, target, usedDir, round));
      context.log(
        `  round ${round}: ${TARGETS.map((target) => `${target} ${Math.round(runs[target].at(-1)?.ms ?? 0)} ms`).join(', ')}`,
      );
    }
    const median = (target: Target) => medianOf(runs[target].map((result) => result.ms));
    const cpu = (target: Target) => {
      const values = runs[target].flatMap((result) => (result.cpuMs === undefined ? [] : [result.cpuMs]));
      return values.length > 0 ? `; CPU at ready: median ${medianOf(values)} ms` : '';
    };
    const detail = (target: Target) =>
      `runs (ms${target === 'node' ? '' : '/CPU ms'}): ${runsOf(runs[target])}${cpu(target)}`;
    const figures: Figure[] = [
      {
        label: 'homeport start → /ready, used data dir',
        value: median('used'),
        unit: 'ms',
        goal: GOAL,
        detail: detail('used'),
      },
      {
        label: 'homeport start → /ready, fresh data dir',
        value: median('fresh'),
        unit: 'ms',
        goal: GOAL,
        detail: detail('fresh'),
      },
      {
        label: 'homeport start → /ready, used data dir, no bus (no NATS)',
        value: median('nobus'),
        unit: 'ms',
        detail: `HOMEPORT_MODULES=accounts,nas; ${detail('nobus')}`,
      },
      { label: "peer: node -e ''", value: median('node'), unit: 'ms', detail: detail('node') },
      {
        label: 'peer: bare Fastify → first 200',
        value: median('fastify'),
        unit: 'ms',
        detail: detail('fastify'),
      },
      {
        label: 'ratio used-dir start / bare Fastify',
        value: median('used') / median('fastify'),
        unit: 'x',
        detail: `what Homeport adds over the framework alone; load average (1/5/15 min) before ${loadBefore}, after ${machineLoad()}`,
      },
    ];
    return [...figures, ...(await whereTimeGoes(context, usedDir))];
  },
};

const machineLoad = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join('/');

/** The peer's Fastify version, from the package the peer script resolves. */
function fastifyVersion(): string {
  const main = createRequire(import.meta.url).resolve('fastify');
  return (JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string })
    .version;
}
