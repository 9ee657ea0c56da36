// bench/http: Homeport's session-authenticated GET against a bare Fastify app, and a login flood with
// /health latency measured at the same time.

import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ARGON2_OPTIONS } from '@homeport/accounts';
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
const execFileAsync = promisify(execFile);
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
      detail: `one process, Fastify defaults, no logger, no plugins, no schema; ${latencyDetail(peer)}; rounds: ${roundsOf(runs.peer)}`,
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

interface LoginRound {
  logins: number;
  seconds: number;
  others: string[];
  socketErrors: number;
  healthP99: number;
  healthP50: number;
  healthMax: number;
  healthProbes: number;
  healthFailures: number;
  ceiling: number;
}

/** Raw argon2id verifications per second on every core, Homeport's parameters (peer-argon2.mjs). */
async function argon2Ceiling(seconds: number): Promise<{ perSecond: number; threads: number }> {
  const peer = fileURLToPath(new URL('./peer-argon2.mjs', import.meta.url));
  const { stdout } = await execFileAsync(process.execPath, [
    peer,
    String(seconds),
    JSON.stringify(ARGON2_OPTIONS),
  ]);
  const result = JSON.parse(stdout) as { threads: number; verifications: number; seconds: number };
  return { perSecond: result.verifications / result.seconds, threads: result.threads };
}

async function loginFlood(context: BenchmarkContext, homeport: HomeportInstance): Promise<Figure[]> {
  context.log(
    `login flood: wrk -t${LOGIN_FLOOD.threads} -c${LOGIN_FLOOD.connections} -d${context.durationSec}s POST /api/v1/auth/login ` +
      `(valid credentials), with /health probed every ${HEALTH_PROBE.delayMs} ms on ${HEALTH_PROBE.connections} connection meanwhile; ` +
      `then the ceiling: raw argon2id verifications (${JSON.stringify(ARGON2_OPTIONS)}) on one thread per core for as long; ${ROUNDS} rounds`,
  );
  const login: Omit<WrkOptions, 'durationSec' | 'workDir' | 'name'> = {
    ...LOGIN_FLOOD,
    url: `${homeport.url}/api/v1/auth/login`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: homeport.adminPassword }),
    countStatuses: true,
    // The first refused login's status and body go to wrk's output, which a failed run's error quotes: a
    // warm-up once got only non-200 answers in a full run and could not be reproduced alone.
    extraLua: [
      'local told = false',
      'local count = response',
      'function response(status, headers, body)',
      '  if status ~= 200 and not told then told = true; io.write("first refused login: ", status, " ", body, "\\n") end',
      '  count(status, headers, body)',
      'end',
    ].join('\n'),
  };
  await runWrk({ ...login, name: 'login-warmup', durationSec: context.warmupSec, workDir: context.workDir });
  const rounds: LoginRound[] = [];
  let threads = 0;
  for (let round = 1; round <= ROUNDS; round += 1) {
    // wrk stops without waiting for answers, so the server is still hashing the last logins of the run
    // before, and they count against the 32-in-flight limit: the flood would start with 429s. Password
    // checks queue in order, so one more login finishing means those are done.
    await logIn(homeport);
    const [flood, health] = await Promise.all([
      runWrk({
        ...login,
        name: `login-flood-${round}`,
        durationSec: context.durationSec,
        workDir: context.workDir,
      }),
      runWrk({
        ...HEALTH_PROBE,
        name: `health-probe-${round}`,
        url: `${homeport.url}/health`,
        countStatuses: true,
        durationSec: context.durationSec,
        workDir: context.workDir,
      }),
    ]);
    context.log(`  login-flood-${round}: ${describeWrk(flood)}`);
    context.log(`  health-probe-${round}: ${describeWrk(health)}`);
    // Homeport is idle again (its last logins finished) before the ceiling takes the cores.
    await logIn(homeport);
    const ceiling = await argon2Ceiling(context.durationSec);
    threads = ceiling.threads;
    context.log(
      `  argon2-ceiling-${round}: ${formatNumber(ceiling.perSecond, 1)} verifications/s on ${ceiling.threads} threads`,
    );
    const { connect, read, write, timeout } = flood.errors;
    rounds.push({
      logins: flood.statuses['200'] ?? 0,
      seconds: flood.durationSec,
      others: Object.entries(flood.statuses)
        .filter(([status]) => status !== '200')
        .map(([status, count]) => `${status}: ${count}`),
      socketErrors: connect + read + write + timeout,
      healthP99: health.latencyMs.p99,
      healthP50: health.latencyMs.p50,
      healthMax: health.latencyMs.max,
      healthProbes: health.requests,
      healthFailures: health.requests - (health.statuses['200'] ?? 0),
      ceiling: ceiling.perSecond,
    });
  }
  const rate = (round: LoginRound) => round.logins / round.seconds;
  const byRatio = [...rounds].sort((a, b) => rate(a) / a.ceiling - rate(b) / b.ceiling);
  const middle = byRatio[Math.floor(byRatio.length / 2)] as LoginRound;
  const byP99 = [...rounds].sort((a, b) => a.healthP99 - b.healthP99);
  const p99 = byP99[Math.floor(byP99.length / 2)] as LoginRound;
  const list = (values: number[], digits = 0) =>
    values.map((value) => formatNumber(value, digits)).join(', ');
  return [
    {
      label: 'logins/s (200 only)',
      value: rate(middle),
      unit: '/s',
      detail: `median round (by ratio): ${middle.logins} logins in ${middle.seconds.toFixed(1)} s; rounds: ${list(rounds.map(rate), 1)}; non-200: ${middle.others.length > 0 ? middle.others.join(', ') : 'none'}; socket errors: ${middle.socketErrors}`,
    },
    {
      label: `peer: raw argon2id verifications/s (${threads} threads)`,
      value: middle.ceiling,
      unit: '/s',
      detail: `same parameters, one thread per core, nothing else; rounds: ${list(
        rounds.map((round) => round.ceiling),
        1,
      )}`,
    },
    {
      label: 'ratio logins / argon2id ceiling',
      value: rate(middle) / middle.ceiling,
      unit: 'x',
      goal: { comparison: '>=', target: 0.85 },
      detail: `median of ${ROUNDS} rounds: ${list(
        rounds.map((round) => rate(round) / round.ceiling),
        2,
      )}`,
    },
    {
      label: '/health p50 during flood',
      value: p99.healthP50,
      unit: 'ms',
      detail: `${p99.healthProbes} probes (the round with the median p99)`,
    },
    {
      label: '/health p99 during flood',
      value: p99.healthP99,
      unit: 'ms',
      goal: { comparison: '<', target: 10 },
      detail: `median of ${ROUNDS} rounds: ${list(
        rounds.map((round) => round.healthP99),
        2,
      )}; max ${p99.healthMax.toFixed(2)} ms; non-200: ${p99.healthFailures}`,
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
    // BENCH_HTTP_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops (open it in Chrome's
    // DevTools, Performance tab, or summarise it); the figures of such a run are not comparable.
    const profileDir = process.env.BENCH_HTTP_PROFILE;
    // BENCH_HTTP_BUNDLE=<homeport.js>: run another build of the server (an A/B of a change, each side built to
    // its own folder) instead of apps/homeport/dist; `npm run bench` still builds dist first.
    const bundle = process.env.BENCH_HTTP_BUNDLE || undefined;
    const homeport = await startHomeport({
      ...(bundle ? { bundle } : {}),
      env: { HOMEPORT_RATE_LIMIT_MAX: '0', HOMEPORT_EMBEDDED_AGENT: 'false' },
      logFile,
      ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
    });
    if (profileDir) context.log(`CPU profile of the server → ${profileDir} (written when it stops)`);
    if (bundle) context.log(`server bundle: ${bundle} (BENCH_HTTP_BUNDLE)`);
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
