// Requests/s and p99 of GET / on the deployed app three ways — straight to its container, through Homeport's
// built-in proxy, through nginx proxy_pass, through the smallest node:http proxy — with wrk, the median of three rounds whose order rotates.

import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext, Figure } from '../lib/types.js';
import type { WrkResult } from '../lib/wrk.js';
import { latencyDetail, measure, median, roundsOf } from '../lib/wrk-rounds.js';
import { APP_HOST } from './setup.js';

const LOAD = { threads: 2, connections: 64 } as const;
// One connection, a request every 5 ms: the latency a hop adds to a request, without the queueing of a flood
// (under -c64 a p99 is mostly time spent waiting behind the other 63 connections).
const PACED = { threads: 1, connections: 1, delayMs: 5 } as const;
const ROUNDS = 3;
/** Homeport's proxy must carry at least this fraction of nginx's requests/s. */
const GOAL_VS_NGINX = 0.6;

export interface ThroughputTargets {
  /** The app container, `http://127.0.0.1:<port>`. */
  direct: string;
  /** Homeport's built-in proxy. */
  proxy: string;
  /** nginx proxy_pass. */
  nginx: string;
  /** The smallest node:http reverse proxy (peer-node-proxy.mjs). */
  node: string;
}

type Target = keyof ThroughputTargets;
const ORDER: readonly Target[] = ['direct', 'proxy', 'nginx', 'node'];

function added(through: WrkResult, direct: WrkResult, key: 'p50' | 'p99'): number {
  return through.latencyMs[key] - direct.latencyMs[key];
}

function addedDetail(paced: WrkResult, pacedDirect: WrkResult): string {
  return (
    `paced p99 ${formatNumber(paced.latencyMs.p99, 2)} ms vs ${formatNumber(pacedDirect.latencyMs.p99, 2)} direct; ` +
    `added p50 ${formatNumber(added(paced, pacedDirect, 'p50'), 2)} ms; ${paced.requests} requests`
  );
}

export async function measureThroughput(
  context: BenchmarkContext,
  targets: ThroughputTargets,
): Promise<Figure[]> {
  context.log(
    `wrk -t${LOAD.threads} -c${LOAD.connections} -d${context.durationSec}s GET / (Host: ${APP_HOST}) after a ` +
      `${context.warmupSec}s warm-up, ${ROUNDS} rounds, order rotating:`,
  );
  const runs: Record<Target, WrkResult[]> = { direct: [], proxy: [], nginx: [], node: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    // Each target runs once in each position, so a busy moment of the shared cores does not favour one.
    for (let i = 0; i < ORDER.length; i += 1) {
      const target = ORDER[(round + i) % ORDER.length] as Target;
      runs[target].push(
        await measure(context, {
          ...LOAD,
          name: `${target}-${round + 1}`,
          url: `${targets[target]}/`,
          headers: { Host: APP_HOST },
        }),
      );
    }
  }
  context.log(
    `paced: wrk -t${PACED.threads} -c${PACED.connections}, a request every ${PACED.delayMs} ms, ` +
      `${context.durationSec}s after a ${context.warmupSec}s warm-up:`,
  );
  const pacedRun = (target: Target) =>
    measure(context, {
      ...PACED,
      name: `paced-${target}`,
      url: `${targets[target]}/`,
      headers: { Host: APP_HOST },
    });
  const paced: Record<Target, WrkResult> = {
    direct: await pacedRun('direct'),
    proxy: await pacedRun('proxy'),
    nginx: await pacedRun('nginx'),
    node: await pacedRun('node'),
  };
  const direct = median(runs.direct);
  const proxy = median(runs.proxy);
  const nginx = median(runs.nginx);
  const node = median(runs.node);
  const nodeRatios = runs.proxy.map(
    (result, i) => result.requestsPerSec / (runs.node[i]?.requestsPerSec ?? NaN),
  );
  const nodeRatio = [...nodeRatios].sort((a, b) => a - b)[Math.floor(nodeRatios.length / 2)] ?? NaN;
  // The ratio of each round, then their median: the pair measured closest in time is compared.
  const ratios = runs.proxy.map(
    (result, i) => result.requestsPerSec / (runs.nginx[i]?.requestsPerSec ?? NaN),
  );
  const ratio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)] ?? NaN;
  return [
    {
      label: 'GET / straight to the app',
      value: direct.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(direct)}; rounds: ${roundsOf(runs.direct)}`,
    },
    {
      label: 'GET / through Homeport proxy',
      value: proxy.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(proxy)}; rounds: ${roundsOf(runs.proxy)}`,
    },
    {
      label: 'peer: GET / through nginx proxy_pass',
      value: nginx.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(nginx)}; rounds: ${roundsOf(runs.nginx)}`,
    },
    {
      label: 'peer: GET / through a bare node:http proxy',
      value: node.requestsPerSec,
      unit: 'req/s',
      detail: `${latencyDetail(node)}; rounds: ${roundsOf(runs.node)}`,
    },
    {
      label: 'added p99 (paced): Homeport proxy',
      value: added(paced.proxy, paced.direct, 'p99'),
      unit: 'ms',
      detail: addedDetail(paced.proxy, paced.direct),
    },
    {
      label: 'added p99 (paced): nginx',
      value: added(paced.nginx, paced.direct, 'p99'),
      unit: 'ms',
      detail: addedDetail(paced.nginx, paced.direct),
    },
    {
      label: 'ratio Homeport proxy / bare node:http proxy',
      value: nodeRatio,
      unit: 'x',
      detail: `median of the rounds' ratios: ${nodeRatios.map((r) => formatNumber(r, 2)).join(', ')} (no goal: how much of the one-process Node ceiling the proxy keeps)`,
    },
    {
      label: 'ratio Homeport proxy / nginx',
      value: ratio,
      unit: 'x',
      goal: { comparison: '>=', target: GOAL_VS_NGINX },
      detail: `median of the rounds' ratios: ${ratios.map((r) => formatNumber(r, 2)).join(', ')}`,
    },
  ];
}
