// Session lookups at three user counts: GET /api/v1/auth/me with a Bearer session, wrk as bench/http, once
// with one session (what the auth cache serves) and once with a different seeded session on every request
// (each request a lookup in the store).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext } from '../lib/types.js';
import type { WrkResult } from '../lib/wrk.js';
import { latencyDetail, measure, median, roundsOf } from '../lib/wrk-rounds.js';
import type { ScaleRow } from './growth.js';
import { requestOnce } from './http-once.js';
import type { ScaleServer } from './servers.js';

/** bench/http's load. */
export const LOOKUP_LOAD = { threads: 2, connections: 64 } as const;

/**
 * A `request()` that sends the next token of the file on every request, each wrk thread starting its own
 * share of the list apart so two threads never send the same token close together. Through `setup`
 * and `init`, which the generated script defines, wrapped.
 */
function rotatingLua(tokensFile: string, threads: number): string {
  return `
local scale_tokens = {}
for line in io.lines(${JSON.stringify(tokensFile)}) do scale_tokens[#scale_tokens + 1] = line end
local scale_setup = setup
local scale_count = 0
function setup(thread)
  scale_setup(thread)
  scale_count = scale_count + 1
  thread:set("scale_thread", scale_count)
end
local scale_next = nil
function request()
  if scale_next == nil then
    scale_next = math.floor(((scale_thread or 1) - 1) * #scale_tokens / ${threads})
  end
  scale_next = scale_next % #scale_tokens + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. scale_tokens[scale_next] })
end
`;
}

async function checkToken(server: ScaleServer, token: string): Promise<void> {
  const { status, body } = await requestOnce(`${server.homeport.url}/api/v1/auth/me`, {
    authorization: `Bearer ${token}`,
  });
  if (status !== 200 || !body.includes('"username":"scale-user-'))
    throw new Error(`${server.name}: a seeded session got ${status} ${body.slice(0, 200)}`);
}

export async function measureLookups(
  context: BenchmarkContext,
  servers: readonly ScaleServer[],
  rounds: number,
): Promise<ScaleRow[]> {
  const files = new Map<string, string>();
  for (const server of servers) {
    const file = join(context.workDir, `tokens-${server.name}.txt`);
    writeFileSync(file, `${server.tokens.join('\n')}\n`, { mode: 0o600 });
    files.set(server.name, file);
    await checkToken(server, server.tokens[0] ?? '');
    await checkToken(server, server.tokens[server.tokens.length - 1] ?? '');
  }
  context.log(
    `session lookups: wrk -t${LOOKUP_LOAD.threads} -c${LOOKUP_LOAD.connections} -d${context.durationSec}s after a ${context.warmupSec}s warm-up, ${rounds} rounds, servers in a rotating order`,
  );
  const runs = new Map<string, { one: WrkResult[]; each: WrkResult[] }>(
    servers.map((server) => [server.name, { one: [], each: [] }]),
  );
  for (let round = 0; round < rounds; round += 1) {
    for (let step = 0; step < servers.length; step += 1) {
      const server = servers[(round + step) % servers.length] as ScaleServer; // index below length
      const url = `${server.homeport.url}/api/v1/auth/me`;
      const mine = runs.get(server.name) as { one: WrkResult[]; each: WrkResult[] };
      mine.one.push(
        await measure(context, {
          ...LOOKUP_LOAD,
          name: `me-one-${server.name}-${round + 1}`,
          url,
          headers: { Authorization: `Bearer ${server.tokens[0]}` },
        }),
      );
      mine.each.push(
        await measure(context, {
          ...LOOKUP_LOAD,
          name: `me-each-${server.name}-${round + 1}`,
          url,
          extraLua: rotatingLua(files.get(server.name) ?? '', LOOKUP_LOAD.threads),
        }),
      );
    }
  }
  const rows: ScaleRow[] = [];
  for (const mode of ['each', 'one'] as const) {
    for (const server of servers) {
      const results = (runs.get(server.name) as { one: WrkResult[]; each: WrkResult[] })[mode];
      const best = median(results);
      rows.push({
        work:
          mode === 'each'
            ? 'GET /auth/me, a different session per request (store lookup)'
            : 'GET /auth/me, one session (auth cache)',
        size: server.plan.users,
        sizeLabel: `${formatNumber(server.plan.users)} users`,
        value: best.requestsPerSec,
        unit: 'req/s',
        cost: 1000 / best.requestsPerSec,
        detail:
          `${latencyDetail(best)}; rounds: ${roundsOf(results)}; ` +
          (mode === 'each'
            ? `${formatNumber(server.tokens.length)} sessions in turn (cache: 1 s, 10,000 entries)`
            : `${formatNumber(server.tokens.length)} sessions stored, one sent`),
      });
    }
  }
  return rows;
}
