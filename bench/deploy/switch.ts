// Back-to-back deploys under a constant request stream through the built-in proxy: failed requests over all of
// them, and for each deploy the switch — from the new color healthy to every new request served by it — read
// two ways: the deploy's own `switch` step message, and the stream's answers against the health step's end.

import { formatNumber } from '../lib/table.js';
import type { BenchmarkContext, Figure } from '../lib/types.js';
import { type RequestStream, type StreamSample, startRequestStream, wallClockMs } from './request-stream.js';
import { APP_HOST, type DeploySetup, type DeployView, deployTag } from './setup.js';

const STREAM_CONNECTIONS = 8;
const SWITCH_GOAL_MS = 100;

export interface SwitchOptions {
  /** Tags to deploy in order, each serving the version after it in `versions` (the first is live already). */
  tags: readonly string[];
  /** The version served before the first of `tags`, then the version each tag serves. */
  versions: readonly string[];
}

interface SwitchSample {
  tag: string;
  /** Milliseconds the `switch` step reports after healthy. */
  stepMs: number;
  /** From the health step's end to the first request of the stream that was sent after the last old answer. */
  clientMs: number;
  /** The first answer from the new version, from the health step's end. */
  firstNewMs: number;
  /** The gap between the last old request and the next one: the client figure's resolution. */
  resolutionMs: number;
  /** Old answers to requests sent after the first new answer's request (0 for an atomic switch). */
  interleaved: number;
  /**
   * New answers to requests sent before the health step ended: requests that waited (socket buffer, Homeport's
   * event loop, busy with the deploy) until after the switch. A send time is earlier than the proxy's reading.
   */
  early: number;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function stepMs(deploy: DeployView): number {
  const message = deploy.steps.find((step) => step.name === 'switch')?.message ?? '';
  const match = /\((\d+) ms after healthy\)/.exec(message);
  if (!match?.[1])
    throw new Error(`deploy ${deploy.id}: no "ms after healthy" in the switch step: ${message}`);
  return Number(match[1]);
}

/** Reads one deploy's switch from the stream's samples sent during it. */
function readSwitch(
  deploy: DeployView,
  samples: readonly StreamSample[],
  oldVersion: string,
  newVersion: string,
): SwitchSample {
  const healthEnd = deploy.steps.find((step) => step.name === 'health')?.endedAt;
  if (!healthEnd) throw new Error(`deploy ${deploy.id}: no health step end`);
  const healthyAt = Date.parse(healthEnd);
  const sorted = samples.filter((s) => s.version !== null).sort((a, b) => a.sentAt - b.sentAt);
  let lastOld = -1;
  let firstNew = -1;
  sorted.forEach((sample, index) => {
    if (sample.version === oldVersion) lastOld = index;
    if (sample.version === newVersion && firstNew === -1) firstNew = index;
  });
  const cutover = sorted[lastOld + 1];
  const lastOldSample = sorted[lastOld];
  const firstNewSample = sorted[firstNew];
  if (lastOldSample === undefined || cutover === undefined || firstNewSample === undefined)
    throw new Error(
      `deploy ${deploy.tag}: the stream saw no answer from ${oldVersion} or none from ${newVersion}`,
    );
  return {
    tag: deploy.tag ?? deploy.id,
    stepMs: stepMs(deploy),
    clientMs: cutover.sentAt - healthyAt,
    firstNewMs: firstNewSample.sentAt - healthyAt,
    resolutionMs: cutover.sentAt - lastOldSample.sentAt,
    interleaved: sorted.filter((s) => s.version === oldVersion && s.sentAt > firstNewSample.sentAt).length,
    early: sorted.filter((s) => s.version === newVersion && s.sentAt < healthyAt).length,
  };
}

function maxOf(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

function list(values: readonly number[]): string {
  return values.map((value) => formatNumber(value, 1)).join(', ');
}

export async function measureDeploys(
  context: BenchmarkContext,
  setup: DeploySetup,
  options: SwitchOptions,
): Promise<Figure[]> {
  const versions = [...new Set(options.versions)];
  context.log(
    `${options.tags.length} deploys back to back (${options.tags[0]}…${options.tags.at(-1)}, serving ` +
      `${options.versions.slice(1).join('/')}) under a closed-loop stream of GET / through the proxy on ` +
      `${STREAM_CONNECTIONS} keep-alive connections:`,
  );
  const stream: RequestStream = startRequestStream({
    port: setup.proxyPort,
    host: APP_HOST,
    connections: STREAM_CONNECTIONS,
    versions,
  });
  const switches: SwitchSample[] = [];
  const notSucceeded: string[] = [];
  const durations: number[] = [];
  const startedAt = wallClockMs();
  try {
    for (const [index, tag] of options.tags.entries()) {
      const from = stream.samples.length;
      const began = wallClockMs();
      const deploy = await deployTag(setup, tag);
      durations.push(wallClockMs() - began);
      if (deploy.status !== 'succeeded') {
        notSucceeded.push(`${tag}: ${deploy.status} ${JSON.stringify(deploy.error)}`);
        context.log(`  ${tag}: ${deploy.status} ${JSON.stringify(deploy.error)}`);
        continue;
      }
      const sample = readSwitch(
        deploy,
        stream.samples.slice(from),
        options.versions[index] ?? '',
        options.versions[index + 1] ?? '',
      );
      switches.push(sample);
      context.log(
        `  ${tag} → ${options.versions[index + 1]}: ${formatNumber(durations.at(-1) ?? 0, 0)} ms; switch step ` +
          `${sample.stepMs} ms, client ${formatNumber(sample.clientMs, 1)} ms (±${formatNumber(sample.resolutionMs, 1)}), ` +
          `first new ${formatNumber(sample.firstNewMs, 1)} ms; failures so far ${stream.failures.count}`,
      );
    }
  } finally {
    await stream.stop();
  }
  const seconds = (wallClockMs() - startedAt) / 1000;
  const requests = stream.samples.length;
  const step = switches.map((s) => s.stepMs);
  const client = switches.map((s) => s.clientMs);
  const interleaved = switches.reduce((sum, s) => sum + s.interleaved, 0);
  const early = switches.reduce((sum, s) => sum + s.early, 0);
  const goal = { comparison: '<', target: SWITCH_GOAL_MS } as const;
  return [
    {
      label: `deploys succeeded (of ${options.tags.length})`,
      value: options.tags.length - notSucceeded.length,
      unit: 'deploys',
      goal: { comparison: '>=', target: options.tags.length },
      detail: `each ${formatNumber(percentile(durations, 50), 0)} ms (p50), max ${formatNumber(maxOf(durations), 0)} ms${
        notSucceeded.length > 0 ? `; ${notSucceeded.join('; ')}` : ''
      }`,
    },
    {
      label: 'failed requests during the deploys',
      value: stream.failures.count,
      unit: 'requests',
      goal: { comparison: '<=', target: 0 },
      detail: `${requests.toLocaleString('en-US')} requests in ${formatNumber(seconds, 1)} s (${formatNumber(requests / seconds, 0)}/s)${
        stream.failures.first.length > 0 ? `; first: ${stream.failures.first.slice(0, 3).join(' | ')}` : ''
      }`,
    },
    {
      label: 'switch after healthy: switch step (max)',
      value: maxOf(step),
      unit: 'ms',
      goal,
      detail: `p50 ${formatNumber(percentile(step, 50), 0)} ms; each: ${step.join(', ')}`,
    },
    {
      label: 'switch after healthy: client-observed (max)',
      value: maxOf(client),
      unit: 'ms',
      goal,
      detail:
        `p50 ${formatNumber(percentile(client, 50), 1)} ms; resolution ≤ ${formatNumber(maxOf(switches.map((s) => s.resolutionMs)), 1)} ms; ` +
        `old after first new: ${interleaved}; sent before healthy, served new (queued through the switch): ${early}; each: ${list(client)}`,
    },
  ];
}
