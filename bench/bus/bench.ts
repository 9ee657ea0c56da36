// bench/bus: 256-byte messages through the bus SDK against a real Homeport (its managed nats-server), next
// to raw NATS pub/sub and the bus's crypto alone; persisted-room publish next to raw JetStream acked publish;
// revocation to disconnect; gateway SSE fan-out.

import { newRoomKey, toBase64Url } from '@homeport/bus/crypto';
import { formatNumber } from '../lib/table.js';
import type { Benchmark, BenchmarkContext, Figure } from '../lib/types.js';
import type { LoadResult } from '../store/load.js';
import { measureFanout } from './fanout.js';
import { measureClosedLoop, measureCryptoPair, measurePubSub } from './measure.js';
import type { Job } from './protocol.js';
import { measureRevocations } from './revocation.js';
import { type BusSetup, HOMEPORT_ENV, RAW_JS_SUBJECT, RAW_SUBJECT, setUpBus } from './setup.js';
import { createWorkerPool, type WorkerPool } from './worker-process.js';

const PAYLOAD_BYTES = 256;
/** How far a publisher may run ahead of its subscriber (messages). */
const WINDOW = 4096;
/** Publishes in flight for the persisted room and raw JetStream. */
const IN_FLIGHT = 256;
/** Rounds of every throughput figure (the median is reported): five, since a shared machine's load drifts. */
const ROUNDS = 5;
const REVOCATIONS = 10;

type Stream = 'raw' | 'crypto' | 'e2e';

interface Runs {
  raw: number[];
  crypto: { seal: number; open: number }[];
  e2e: number[];
  persisted: LoadResult[];
  rawJs: LoadResult[];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const rounds = (values: readonly number[]) => values.map((value) => formatNumber(value)).join(', ');

function jobs(setup: BusSetup) {
  const roomKey = toBase64Url(newRoomKey());
  const identityJson = setup.alice.identityJson;
  const roomId = setup.liveRoom.id;
  const p = PAYLOAD_BYTES;
  return {
    raw: {
      sub: { role: 'raw-sub', nats: setup.nats, subject: RAW_SUBJECT, payloadBytes: p },
      pub: { role: 'raw-pub', nats: setup.nats, subject: RAW_SUBJECT, payloadBytes: p, window: WINDOW },
    },
    crypto: {
      seal: { role: 'seal', identityJson, roomId, roomKey, payloadBytes: p, window: WINDOW },
      open: { role: 'open', identityJson, roomId, roomKey, payloadBytes: p },
    },
    e2e: {
      sub: { role: 'bus-sub', member: setup.bob, roomId, payloadBytes: p },
      pub: { role: 'bus-pub', member: setup.alice, roomId, payloadBytes: p, window: WINDOW },
    },
    persisted: {
      role: 'bus-persist',
      member: setup.alice,
      roomId: setup.persistedRoom.id,
      payloadBytes: p,
      inFlight: IN_FLIGHT,
    },
    rawJs: {
      role: 'raw-js',
      nats: setup.nats,
      subject: RAW_JS_SUBJECT,
      payloadBytes: p,
      inFlight: IN_FLIGHT,
    },
  } satisfies Record<string, Job | Record<string, Job>>;
}

async function measureRounds(context: BenchmarkContext, pool: WorkerPool, setup: BusSetup): Promise<Runs> {
  const job = jobs(setup);
  const runs: Runs = { raw: [], crypto: [], e2e: [], persisted: [], rawJs: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    context.log(`round ${round}:`);
    // E2E and crypto only run back to back, each first in every other round: their ratio is taken within a
    // round, and on a shared machine the load drifts between measurements further apart.
    const order: readonly Stream[] = round % 2 === 1 ? ['raw', 'crypto', 'e2e'] : ['e2e', 'crypto', 'raw'];
    for (const stream of order) {
      if (stream === 'raw')
        runs.raw.push(await measurePubSub(context, pool, `raw NATS-${round}`, job.raw.sub, job.raw.pub));
      else if (stream === 'crypto')
        runs.crypto.push(
          await measureCryptoPair(context, pool, `crypto only-${round}`, job.crypto.seal, job.crypto.open),
        );
      else runs.e2e.push(await measurePubSub(context, pool, `bus E2E-${round}`, job.e2e.sub, job.e2e.pub));
    }
    const persisted = async () =>
      runs.persisted.push(await measureClosedLoop(context, pool, `persisted room-${round}`, job.persisted));
    const rawJs = async () =>
      runs.rawJs.push(await measureClosedLoop(context, pool, `raw JetStream-${round}`, job.rawJs));
    if (round % 2 === 1) {
      await persisted();
      await rawJs();
    } else {
      await rawJs();
      await persisted();
    }
  }
  return runs;
}

function throughputFigures(runs: Runs, setup: BusSetup): Figure[] {
  const crypto = runs.crypto.map((rates) => rates.open);
  const e2eVsCrypto = runs.e2e.map((value, i) => value / (crypto[i] ?? Number.NaN));
  const e2eVsRaw = runs.e2e.map((value, i) => value / (runs.raw[i] ?? Number.NaN));
  const persistedRates = runs.persisted.map((run) => run.callsPerSec);
  const rawJsRates = runs.rawJs.map((run) => run.callsPerSec);
  const persistedVsRaw = persistedRates.map((value, i) => value / (rawJsRates[i] ?? Number.NaN));
  const latency = (loads: readonly LoadResult[]) => {
    const middle = [...loads].sort((a, b) => a.callsPerSec - b.callsPerSec)[Math.floor(loads.length / 2)];
    return middle
      ? `p50 ${middle.latencyMs.p50.toFixed(2)} ms, p99 ${middle.latencyMs.p99.toFixed(2)} ms; `
      : '';
  };
  return [
    {
      label: 'peer: raw NATS pub/sub',
      value: median(runs.raw),
      unit: 'msgs/s',
      detail: `nats-server ${setup.natsVersion} (Homeport's managed one, BUS service user), 1 pub + 1 sub process, window ${WINDOW}; rounds: ${rounds(runs.raw)}`,
    },
    {
      label: 'crypto only: seal → open pipeline',
      value: median(crypto),
      unit: 'msgs/s',
      detail: `sealFrame in 1 process, openFrame in another, paced like E2E (window ${WINDOW}), nothing sent; rounds: ${rounds(crypto)}`,
    },
    {
      label: 'bus E2E: BusClient publish → subscribe',
      value: median(runs.e2e),
      unit: 'msgs/s',
      goal: { comparison: '>=', target: 10_000 },
      detail: `ephemeral encrypted signed room, 1 pub + 1 sub process, window ${WINDOW}; rounds: ${rounds(runs.e2e)}`,
    },
    {
      label: 'ratio E2E / crypto only',
      value: median(e2eVsCrypto),
      unit: 'x',
      goal: { comparison: '>=', target: 0.9 },
      detail: `median of rounds: ${e2eVsCrypto.map((r) => r.toFixed(2)).join(', ')}`,
    },
    {
      label: 'ratio E2E / raw NATS',
      value: median(e2eVsRaw),
      unit: 'x',
      detail: `what the crypto and SDK cost against bare NATS; rounds: ${e2eVsRaw.map((r) => r.toFixed(3)).join(', ')}`,
    },
    {
      label: 'persisted room: BusClient publish (acked)',
      value: median(persistedRates),
      unit: 'msgs/s',
      detail: `${latency(runs.persisted)}${IN_FLIGHT} in flight, 1 process; rounds: ${rounds(persistedRates)}`,
    },
    {
      label: 'peer: raw JetStream publish (acked)',
      value: median(rawJsRates),
      unit: 'msgs/s',
      detail: `${latency(runs.rawJs)}${IN_FLIGHT} in flight, 1 process, same server, stream config copied from the room's; rounds: ${rounds(rawJsRates)}`,
    },
    {
      label: 'ratio persisted publish / raw JetStream',
      value: median(persistedVsRaw),
      unit: 'x',
      goal: { comparison: '>=', target: 0.8 },
      detail: `median of rounds: ${persistedVsRaw.map((r) => r.toFixed(2)).join(', ')}`,
    },
  ];
}

function revocationFigures(latencies: readonly number[]): Figure[] {
  const sorted = [...latencies].sort((a, b) => a - b);
  const all = latencies.map((ms) => (Number.isFinite(ms) ? ms.toFixed(0) : '∞')).join(', ');
  return [
    {
      label: 'revocation → disconnect p50',
      value: median(sorted),
      unit: 'ms',
      detail: `${latencies.length} members, each revoked by an admin through the control plane`,
    },
    {
      label: 'revocation → disconnect max',
      value: sorted[sorted.length - 1] ?? Number.NaN,
      unit: 'ms',
      goal: { comparison: '<', target: 1000 },
      detail: `samples (ms): ${all}`,
    },
  ];
}

export const benchmark: Benchmark = {
  name: 'bus',
  description:
    'bus SDK end to end vs raw NATS and vs its crypto alone; persisted publish vs raw JetStream; revocation; gateway SSE fan-out',
  async run(context) {
    const setup = await setUpBus(context.workDir);
    const pool = createWorkerPool(context);
    try {
      const env = Object.entries(HOMEPORT_ENV)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      context.log(
        `homeport ${setup.homeport.url} (pid ${setup.homeport.process.pid}), ${env}, bus on its managed nats-server ${setup.natsVersion} at ${setup.nats.url}`,
      );
      context.log(`  ${setup.describeStreams}`);
      context.log(
        `${PAYLOAD_BYTES}-byte payloads; each measured run ${context.durationSec} s after a ${context.warmupSec} s warm-up, ${ROUNDS} rounds, median; each side of a pair in its own worker process`,
      );
      const runs = await measureRounds(context, pool, setup);
      context.log('revocation:');
      const revocations = await measureRevocations(context, setup, REVOCATIONS);
      context.log('gateway SSE fan-out:');
      const fanout = await measureFanout(context, setup, pool);
      return [...throughputFigures(runs, setup), ...revocationFigures(revocations), ...fanout];
    } finally {
      await pool.stopAll();
      await setup.close();
    }
  },
};
