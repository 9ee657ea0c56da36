// bench/store: the repository calls every request leans on — session lookup, user update, export listing —
// on SQLite, on JetStream KV with one server (R1) and on a 3-node cluster (R3), each KV figure next to the
// same round trips made with the KV client directly; then session-authenticated GET /api/v1/auth/me on a
// Homeport on KV and on SQLite next to bare Fastify.

import { join } from 'node:path';
import { startNatsCluster, startNatsServer } from '@homeport/testkit';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure } from '../lib/types.js';
import { type Backend, openKvBackend, openSqliteBackend } from './backends.js';
import { seed } from './fixtures.js';
import { measureMe } from './http-me.js';
import { type LoadResult, type Operation, runLoad } from './load.js';
import {
  OPERATIONS,
  type OperationName,
  rawOperations,
  type ShortListings,
  storeOperations,
} from './operations.js';

/** Calls in flight on every backend, for every operation. */
const CONCURRENCY = 16;
const ROUNDS = 3;
/** A call through the store should cost at most a quarter more than the same round trips made raw. */
const VS_RAW = { comparison: '>=', target: 0.8 } as const;

/** A measured run, and how many of its calls returned a short listing. */
interface Run extends LoadResult {
  short: number;
}

interface Runs {
  store: Run[];
  raw: Run[];
}

interface Prepared {
  backend: Backend;
  store: Record<OperationName, Operation>;
  raw?: Record<OperationName, Operation>;
  runs: Record<OperationName, Runs>;
  short: { store: ShortListings; raw: ShortListings };
}

/**
 * Deletes the consumers key listings left on every KV backend (each listing leaves one for 5 minutes), so a
 * measured run starts with none, whichever ran before it; returns how many.
 */
async function settle(prepared: readonly Prepared[]): Promise<number> {
  let dropped = 0;
  for (const { backend } of prepared) dropped += await backend.dropListingConsumers();
  return dropped;
}

async function measureLoad(
  context: BenchmarkContext,
  prepared: readonly Prepared[],
  name: string,
  operation: Operation,
  short: ShortListings,
): Promise<Run> {
  await settle(prepared);
  await runLoad({ concurrency: CONCURRENCY, durationSec: context.warmupSec, operation });
  const dropped = await settle(prepared);
  const before = short.count;
  const result = await runLoad({ concurrency: CONCURRENCY, durationSec: context.durationSec, operation });
  const run = { ...result, short: short.count - before };
  context.log(
    `  ${name}: ${Math.round(run.callsPerSec)} calls/s, p50 ${run.latencyMs.p50.toFixed(2)} ms, p99 ${run.latencyMs.p99.toFixed(2)} ms, ${run.calls} calls` +
      (run.short > 0 ? `, ${run.short} SHORT LISTINGS` : '') +
      (dropped > 0 ? ` (${dropped} consumers the warm-up left deleted first)` : ''),
  );
  return run;
}

const middle = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function medianRun(results: readonly Run[]): Run {
  const sorted = [...results].sort((a, b) => a.callsPerSec - b.callsPerSec);
  const found = sorted[Math.floor(sorted.length / 2)];
  if (found === undefined) throw new Error('median of no runs');
  return found;
}

function loadDetail(runs: readonly Run[]): string {
  const best = medianRun(runs);
  const rounds = runs.map((run) => formatNumber(run.callsPerSec)).join(', ');
  const short = runs.reduce((sum, run) => sum + run.short, 0);
  const calls = runs.reduce((sum, run) => sum + run.calls, 0);
  return (
    `p50 ${best.latencyMs.p50.toFixed(2)} ms, p99 ${best.latencyMs.p99.toFixed(2)} ms; rounds: ${rounds}` +
    (short > 0 ? `; WRONG: ${short} of ${calls} listings came back short` : '')
  );
}

async function prepare(context: BenchmarkContext, backend: Backend): Promise<Prepared> {
  const fixture = await seed(backend.accounts, backend.nas, CONCURRENCY, Date.now());
  const short = { store: { count: 0 }, raw: { count: 0 } };
  const store = storeOperations(backend.accounts, backend.nas, fixture, short.store);
  const raw = backend.raw && rawOperations(backend.raw, fixture, short.raw);
  // One call of each before any load: a layout or fixture mistake fails here, with its own message.
  for (const { name } of OPERATIONS) {
    await store[name](0);
    await raw?.[name](0);
  }
  context.log(`${backend.name}: ${await backend.describe()}`);
  const runs = {
    lookup: { store: [], raw: [] },
    update: { store: [], raw: [] },
    listing: { store: [], raw: [] },
  };
  return { backend, store, ...(raw ? { raw } : {}), runs, short };
}

async function measureStores(context: BenchmarkContext, prepared: readonly Prepared[]): Promise<Figure[]> {
  context.log(
    `${CONCURRENCY} calls in flight, ${context.durationSec}s after a ${context.warmupSec}s warm-up, ${ROUNDS} rounds:`,
  );
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const { backend, store, raw, runs, short } of prepared) {
      for (const { name } of OPERATIONS) {
        const measureStore = async () =>
          runs[name].store.push(
            await measureLoad(
              context,
              prepared,
              `${backend.name} ${name}-${round}`,
              store[name],
              short.store,
            ),
          );
        const measureRaw = async () => {
          if (raw)
            runs[name].raw.push(
              await measureLoad(
                context,
                prepared,
                `${backend.name} raw ${name}-${round}`,
                raw[name],
                short.raw,
              ),
            );
        };
        // Alternate which of a pair goes first, so a drift in the machine's load does not favour one side.
        if (round % 2 === 1) {
          await measureStore();
          await measureRaw();
        } else {
          await measureRaw();
          await measureStore();
        }
      }
    }
  }

  const figures: Figure[] = [];
  for (const operation of OPERATIONS) {
    for (const { backend, runs } of prepared) {
      const { store, raw } = runs[operation.name];
      figures.push({
        label: `${backend.name}: ${operation.label}`,
        value: medianRun(store).callsPerSec,
        unit: 'op/s',
        detail: loadDetail(store),
      });
      if (raw.length === 0) continue;
      // Each round measured the pair back to back: the ratio of a round is the fairest comparison.
      const ratios = store.map((run, i) => run.callsPerSec / (raw[i]?.callsPerSec ?? Number.NaN));
      figures.push(
        {
          label: `${backend.name}: raw KV ${operation.rawLabel}`,
          value: medianRun(raw).callsPerSec,
          unit: 'op/s',
          // The peer's configuration, next to its figure: the same client, connection and buckets.
          detail: `@nats-io/kv on the store's connection and buckets (history 1, the same replicas, no direct gets); ${loadDetail(raw)}`,
        },
        {
          label: `ratio ${backend.name} ${operation.name} / raw KV`,
          value: middle(ratios),
          unit: 'x',
          goal: VS_RAW,
          detail: `median of rounds: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}`,
        },
      );
    }
  }
  return figures;
}

export const benchmark: Benchmark = {
  name: 'store',
  description:
    'repository calls on SQLite, KV R1 and KV R3 vs the raw KV client; GET /api/v1/auth/me on KV and SQLite vs bare Fastify',
  async run(context) {
    const [single, cluster] = await Promise.all([startNatsServer(), startNatsCluster(3)]);
    context.log(`nats-server ${single.url} (pid ${single.process.pid}); cluster ${cluster.urls.join(', ')}`);
    try {
      const backends: Backend[] = [openSqliteBackend(join(context.workDir, 'sqlite'))];
      let figures: Figure[];
      try {
        backends.push(await openKvBackend('KV R1', [single.url], 1));
        // Homeport's start refuses replicas on nats-server < 2.9.21 (clusteredKvProblem); throughput does
        // not depend on that fix, so the benchmark creates its R3 buckets through the port directly.
        backends.push(await openKvBackend('KV R3', cluster.urls, 3));
        const prepared: Prepared[] = [];
        for (const backend of backends) prepared.push(await prepare(context, backend));
        figures = await measureStores(context, prepared);
        // The single server goes on to serve the Homeport on KV: it should carry nothing of this phase.
        await settle(prepared);
      } finally {
        await Promise.all(backends.map((backend) => backend.close()));
      }
      // The cluster is done: it should not take CPU from the HTTP measurements.
      await cluster.stop();
      return [...figures, ...(await measureMe(context, single.url))];
    } finally {
      await Promise.all([single.stop(), cluster.stop()]);
    }
  },
};
