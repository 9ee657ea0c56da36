// bench/http: Homeport's session-authenticated GET against a bare Fastify app, and a login flood with
// /health latency measured at the same time.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type HomeportInstance, startHomeport } from '@homeport/testkit';
import { startFastifyPeer } from '../lib/fastify-peer.js';
import { logIn } from '../lib/homeport-session.js';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure } from '../lib/types.js';
import { describeWrk, runWrk, type WrkOptions, type WrkResult } from '../lib/wrk.js';
import { latencyDetail, measure, median, roundsOf } from '../lib/wrk-rounds.js';

const THROUGHPUT = { threads: 2, connections: 64 } as const;
// The server allows 32 logins in flight per IP and answers 429 past that; stay well under it.
const LOGIN_FLOOD = { threads: 2, connections: 24 } as const;
const ROUNDS = 3;
// One connection, one request every 10 ms: a light client that only observes latency.
const HEALTH_PROBE = { threads: 1, connections: 1, delayMs: 10 } as const;

async function throughput(
  context: BenchmarkContext,
  homeport: HomeportInstance,
  peerUrl: string,
): Promise<Figure[]> {
  const session = await logIn(homeport);
  const me = `${homeport.url}/api/v1/auth/me`;
  context.log(
    `wrk -t${THROUGHPUT.threads} -c${THROUGHPUT.connections} -d${context.durationSec}s after a ${context.warmupSec}s warm-up:`,
  );
  // Rounds visit the four targets in turn, so a busy moment on the shared 2 cores hits each of them; each
  // figure is the median of its rounds.
  const runs: Record<'bearer' | 'cookie' | 'health' | 'peer', WrkResult[]> = {
    bearer: [],
    cookie: [],
    health: [],
    peer: [],
  };
  for (let round = 1; round <= ROUNDS; round += 1) {
    runs.peer.push(
      await measure(context, { ...THROUGHPUT, name: `peer-fastify-${round}`, url: `${peerUrl}/user` }),
    );
    runs.bearer.push(
      await measure(context, {
        ...THROUGHPUT,
        name: `me-bearer-${round}`,
        url: me,
        headers: { Authorization: `Bearer ${session.token}` },
      }),
    );
    runs.cookie.push(
      await measure(context, {
        ...THROUGHPUT,
        name: `me-cookie-${round}`,
        url: me,
        headers: { Cookie: session.cookie },
      }),
    );
    // No goal: it separates what every Homeport request pays (hooks, headers) from the session check.
    runs.health.push(
      await measure(context, { ...THROUGHPUT, name: `health-${round}`, url: `${homeport.url}/health` }),
    );
  }
  const bearer = median(runs.bearer);
  const cookie = median(runs.cookie);
  const health = median(runs.health);
  const peer = median(runs.peer);

  const goal = { comparison: '>=', target: 0.5 } as const;
  return [
    {
      label: 'GET /api/v1/auth/me (Bearer)',
      value: bearer.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(bearer)}; rounds: ${roundsOf(runs.bearer)}`,
    },
    {
      label: 'GET /api/v1/auth/me (cookie)',
      value: cookie.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(cookie)}; rounds: ${roundsOf(runs.cookie)}`,
    },
    {
      label: 'GET /health (no auth, same server)',
      value: health.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(health)}; rounds: ${roundsOf(runs.health)}`,
    },
    {
      label: 'peer: bare Fastify GET /user',
      value: peer.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(peer)}; rounds: ${roundsOf(runs.peer)}`,
    },
    {
      label: 'ratio me (Bearer) / peer',
      value: bearer.requestsPerSec / peer.requestsPerSec,
      unit: 'x',
      goal,
    },
    {
      label: 'ratio me (cookie) / peer',
      value: cookie.requestsPerSec / peer.requestsPerSec,
      unit: 'x',
      goal,
    },
  ];
}

async function loginFlood(context: BenchmarkContext, homeport: HomeportInstance): Promise<Figure[]> {
  context.log(
    `login flood: wrk -t${LOGIN_FLOOD.threads} -c${LOGIN_FLOOD.connections} -d${context.durationSec}s POST /api/v1/auth/login ` +
      `(valid credentials), with /health probed every ${HEALTH_PROBE.delayMs} ms on ${HEALTH_PROBE.connections} connection meanwhile`,
  );
  const login: Omit<WrkOptions, 'durationSec' | 'workDir' | 'name'> = {
    ...LOGIN_FLOOD,
    url: `${homeport.url}/api/v1/auth/login`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: homeport.adminPassword }),
    countStatuses: true,
  };
  await runWrk({ ...login, name: 'login-warmup', durationSec: context.warmupSec, workDir: context.workDir });
  // wrk stops without waiting for answers, so the server is still hashing the warm-up's last logins, and they
  // count against the 32-in-flight limit: the flood would start with 429s. Password checks queue in order,
  // so one more login finishing means those are done.
  await logIn(homeport);
  const [flood, health] = await Promise.all([
    runWrk({ ...login, name: 'login-flood', durationSec: context.durationSec, workDir: context.workDir }),
    runWrk({
      ...HEALTH_PROBE,
      name: 'health-probe',
      url: `${homeport.url}/health`,
      countStatuses: true,
      durationSec: context.durationSec,
      workDir: context.workDir,
    }),
  ]);
  context.log(`  login-flood: ${describeWrk(flood)}`);
  context.log(`  health-probe: ${describeWrk(health)}`);

  const ok = flood.statuses['200'] ?? 0;
  const others = Object.entries(flood.statuses)
    .filter(([status]) => status !== '200')
    .map(([status, count]) => `${status}: ${count}`);
  const { connect, read, write, timeout } = flood.errors;
  const socketErrors = connect + read + write + timeout;
  const healthFailures = health.requests - (health.statuses['200'] ?? 0);
  return [
    {
      label: 'logins/s (200 only)',
      value: ok / flood.durationSec,
      unit: '/s',
      goal: { comparison: '>=', target: 150 },
      detail: `${ok} logins in ${flood.durationSec.toFixed(1)} s; non-200: ${others.length > 0 ? others.join(', ') : 'none'}; socket errors: ${socketErrors}`,
    },
    {
      label: '/health p50 during flood',
      value: health.latencyMs.p50,
      unit: 'ms',
      detail: `${health.requests} probes`,
    },
    {
      label: '/health p99 during flood',
      value: health.latencyMs.p99,
      unit: 'ms',
      goal: { comparison: '<', target: 10 },
      detail: `max ${health.latencyMs.max.toFixed(2)} ms; non-200: ${healthFailures}`,
    },
  ];
}

export const benchmark: Benchmark = {
  name: 'http',
  description:
    'Homeport session-authenticated GET vs a bare Fastify JSON route; login flood with /health latency',
  async run(context) {
    const logFile = join(context.workDir, 'homeport.log');
    // Default logging on purpose (level info, access log off by default): the cost a real install pays.
    // Only the destination changes, to a file, so the benchmark process never reads the server's output.
    // No embedded agent: its heartbeats from 127.0.0.1 would be a 65th connection from wrk's address, over
    // the 64 per address, and the server would close an idle wrk socket (a read error in wrk).
    const homeport = await startHomeport({
      env: { HOMEPORT_RATE_LIMIT_MAX: '0', HOMEPORT_EMBEDDED_AGENT: 'false' },
      logFile,
    });
    context.log(
      `homeport ${homeport.url} (pid ${homeport.process.pid}), HOMEPORT_RATE_LIMIT_MAX=0, HOMEPORT_EMBEDDED_AGENT=false`,
    );
    context.log(
      `  logging: HOMEPORT_LOG_LEVEL unset (default info), HOMEPORT_ACCESS_LOG unset (default off), stdout+stderr → ${logFile}`,
    );
    const { url: peerUrl, process: peer } = await startFastifyPeer();
    context.log(`peer-fastify ${peerUrl} (pid ${peer.pid}), Fastify defaults, logger off`);
    try {
      const figures = [
        ...(await throughput(context, homeport, peerUrl)),
        ...(await loginFlood(context, homeport)),
      ];
      context.log(
        `homeport log: ${formatNumber(statSync(logFile).size / 1024 / 1024, 1)} MiB written during the run`,
      );
      return figures;
    } finally {
      await Promise.all([homeport.process.stop(), peer.stop()]);
    }
  },
};
