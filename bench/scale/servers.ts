// The Homeports bench/scale measures: each started once from the built bundle on a fresh data dir (its
// migrations and first admin made by Homeport itself), stopped, seeded through the stores (seed.ts), and
// started again on the same data dir.

import { join } from 'node:path';
import { type HomeportInstance, startHomeport } from '@homeport/testkit';
import type { BenchmarkContext } from '../lib/types.js';
import { type Seeded, type SeedPlan, seedDataDir } from './seed.js';

/** As bench/http: no 429 for the load generator, no embedded agent (a 65th connection from 127.0.0.1). */
export const SCALE_ENV = { HOMEPORT_RATE_LIMIT_MAX: '0', HOMEPORT_EMBEDDED_AGENT: 'false' } as const;

/** Four Homeports start at once on a shared 2-core machine: give them longer than the testkit's 20 s. */
const START_TIMEOUT_MS = 90_000;

export interface ScaleServer {
  name: string;
  plan: SeedPlan;
  homeport: HomeportInstance;
  /** A seeded session of the first admin. */
  adminToken: string;
  /** The seeded sessions' raw tokens. */
  tokens: string[];
  /** The seeded nodes, with their tokens and export ids. */
  nodes: Seeded['nodes'];
}

export async function startSeeded(
  context: BenchmarkContext,
  servers: readonly { name: string; plan: SeedPlan }[],
): Promise<ScaleServer[]> {
  const logFile = (name: string, start: number) => join(context.workDir, `homeport-${name}-${start}.log`);
  const first = await Promise.all(
    servers.map(({ name }) =>
      startHomeport({ env: SCALE_ENV, logFile: logFile(name, 1), timeoutMs: START_TIMEOUT_MS }),
    ),
  );
  await Promise.all(first.map((homeport) => homeport.process.stop()));
  const seeded: Seeded[] = [];
  for (const [index, { name, plan }] of servers.entries()) {
    const dataDir = (first[index] as HomeportInstance).dataDir; // one per server
    const result = await seedDataDir(dataDir, plan);
    // The admin and its session are the rows the plan does not count.
    const want = {
      users: plan.users + 1,
      sessions: plan.sessions + 1,
      nodes: plan.nodes,
      exports: plan.exports,
    };
    if (JSON.stringify(result.counts) !== JSON.stringify(want))
      throw new Error(`${name}: seeded ${JSON.stringify(result.counts)}, wanted ${JSON.stringify(want)}`);
    context.log(
      `${name}: seeded ${JSON.stringify(result.counts)} in ${(result.tookMs / 1000).toFixed(1)} s (stores on ${dataDir}/homeport.db)`,
    );
    seeded.push(result);
  }
  const second = await Promise.all(
    servers.map(({ name }, index) =>
      startHomeport({
        env: SCALE_ENV,
        dataDir: (first[index] as HomeportInstance).dataDir,
        logFile: logFile(name, 2),
        timeoutMs: START_TIMEOUT_MS,
      }),
    ),
  );
  return servers.map(({ name, plan }, index) => {
    const homeport = second[index] as HomeportInstance; // one per server
    const { adminToken, tokens, nodes } = seeded[index] as Seeded;
    context.log(`${name}: homeport ${homeport.url} (pid ${homeport.process.pid})`);
    return { name, plan, homeport, adminToken, tokens, nodes };
  });
}
