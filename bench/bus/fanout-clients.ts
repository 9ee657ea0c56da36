// The browsers of the gateway fan-out, in a worker process: many room streams (SSE) of one room, each
// message's delivery latency taken when a client has parsed its event.

import type { FanoutSummary, Job } from './protocol.js';
import { openSse, type SseStream } from './sse-client.js';
import type { Running } from './worker.js';

/** Streams opened at once while connecting (the server makes each one join the room's subscription). */
const OPEN_BATCH = 50;
/** How long a stream may take to say its first `state`. */
const OPEN_TIMEOUT_MS = 30_000;

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
const wallNow = () => performance.timeOrigin + performance.now();

const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;

export async function sseClients(
  job: Extract<Job, { role: 'sse-clients' }>,
  stopping: () => boolean,
): Promise<Running> {
  const latencies: number[] = [];
  const streams: SseStream[] = [];
  let ended = 0;
  const total = job.tokens.length * job.streamsPerToken;
  const openOne = async (index: number): Promise<void> => {
    const token = job.tokens[index % job.tokens.length] as string; // index % length is a valid index
    let sawState: () => void = () => {};
    const state = new Promise<void>((resolve) => {
      sawState = resolve;
    });
    const stream = openSse(
      job.streamUrl,
      { authorization: `Bearer ${token}` },
      `127.0.0.${2 + Math.floor(index / job.perAddress)}`,
      (event) => {
        if (event.type === 'state') sawState();
        else if (event.type === 'message') {
          const arrived = wallNow();
          const body = (JSON.parse(event.data) as { body: string }).body;
          // `m <sent at> …`: a measured message; warm-up ones start with `w`.
          if (body.startsWith('m ')) latencies.push(arrived - Number(body.slice(2, body.indexOf(' ', 2))));
        }
      },
    );
    streams.push(stream);
    void stream.ended.then(() => {
      if (!stopping()) ended += 1;
    });
    const status = await stream.opened;
    if (status !== 200) throw new Error(`stream ${index}: HTTP ${status}`);
    await Promise.race([
      state,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`stream ${index}: no state event`)), OPEN_TIMEOUT_MS),
      ),
    ]);
  };
  for (let first = 0; first < total; first += OPEN_BATCH)
    await Promise.all(
      Array.from({ length: Math.min(OPEN_BATCH, total - first) }, (_, offset) => openOne(first + offset)),
    );
  const addresses = Math.ceil(total / job.perAddress);
  return {
    describe: `${total} SSE streams (${job.tokens.length} accounts × ${job.streamsPerToken}, ${job.perAddress} per address over 127.0.0.2–${1 + addresses})`,
    go: async () => {},
    report(expected): FanoutSummary {
      // A delivery that never came counts as infinitely late: it must not vanish from the percentiles.
      const missing = Math.max(0, expected * total - latencies.length);
      const sorted = [...latencies, ...new Array<number>(missing).fill(Number.POSITIVE_INFINITY)].sort(
        (a, b) => a - b,
      );
      return {
        streams: total,
        expected: expected * total,
        delivered: latencies.length,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
        ended,
      };
    },
    close: async () => {
      for (const stream of streams) stream.close();
    },
  };
}
