// GET /api/v1/exports as the admin (every export, the full view) at two export counts, wrk with two
// connections: a 10,000-export answer is 3 MB, and 64 of them in flight would queue for seconds.

import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext } from '../lib/types.js';
import type { WrkResult } from '../lib/wrk.js';
import { latencyDetail, measure, median, roundsOf } from '../lib/wrk-rounds.js';
import type { ScaleRow } from './growth.js';
import { requestOnce } from './http-once.js';
import type { ScaleServer } from './servers.js';

/** Two in flight: the server is one event loop, and more would only queue (past wrk's 5 s timeout on a busy box). */
export const EXPORTS_LOAD = { threads: 1, connections: 2 } as const;
/** A measured run lasts at least this long: a 10,000-export answer can take a second on a busy machine. */
const MIN_DURATION_SEC = 5;
/** Fewer answers than this in a run is no measurement. */
const MIN_REQUESTS = 10;

async function checkListing(server: ScaleServer): Promise<number> {
  const { status, body } = await requestOnce(`${server.homeport.url}/api/v1/exports`, {
    authorization: `Bearer ${server.adminToken}`,
  });
  const listed: unknown = status === 200 ? JSON.parse(body) : undefined;
  if (!Array.isArray(listed) || listed.length !== server.plan.exports)
    throw new Error(
      `${server.name}: GET /exports answered ${status} with ${Array.isArray(listed) ? listed.length : 'no list'}, wanted ${server.plan.exports} exports`,
    );
  return Buffer.byteLength(body);
}

export async function measureExports(
  context: BenchmarkContext,
  servers: readonly ScaleServer[],
  rounds: number,
): Promise<ScaleRow[]> {
  const sizes = new Map<string, number>();
  for (const server of servers) sizes.set(server.name, await checkListing(server));
  context.log(
    `export listings: wrk -t${EXPORTS_LOAD.threads} -c${EXPORTS_LOAD.connections} -d${Math.max(context.durationSec, MIN_DURATION_SEC)}s after a ${context.warmupSec}s warm-up, ${rounds} rounds, admin Bearer session`,
  );
  const runs = new Map<string, WrkResult[]>(servers.map((server) => [server.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (let step = 0; step < servers.length; step += 1) {
      const server = servers[(round + step) % servers.length] as ScaleServer; // index below length
      const result = await measure(
        { ...context, durationSec: Math.max(context.durationSec, MIN_DURATION_SEC) },
        {
          ...EXPORTS_LOAD,
          name: `exports-${server.name}-${round + 1}`,
          url: `${server.homeport.url}/api/v1/exports`,
          headers: { Authorization: `Bearer ${server.adminToken}` },
        },
      );
      if (result.requests < MIN_REQUESTS)
        throw new Error(`${server.name}: only ${result.requests} answers to GET /exports in the run`);
      runs.get(server.name)?.push(result);
    }
  }
  return servers.map((server) => {
    const results = runs.get(server.name) ?? [];
    const best = median(results);
    return {
      work: 'GET /exports (admin: every export)',
      size: server.plan.exports,
      sizeLabel: `${formatNumber(server.plan.exports)} exports`,
      value: best.requestsPerSec,
      unit: 'req/s',
      cost: 1000 / best.requestsPerSec,
      detail: `${latencyDetail(best)}; rounds: ${roundsOf(results)}; ${formatNumber(server.plan.nodes)} nodes; answer ${formatNumber((sizes.get(server.name) ?? 0) / 1024)} KiB`,
    };
  });
}
