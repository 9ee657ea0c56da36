// Docker's event stream for managed containers as RuntimeEvents. The stream is reconnected whenever it ends or
// fails (the engine restarted, the socket dropped) until the caller aborts: each reconnect asks for events
// `since` the last one seen, so a short outage loses nothing the engine still holds (it keeps a bounded backlog,
// so after a long outage the caller should reconcile with list()). Events already delivered are skipped.

import type { Logger } from '@homeport/core';
import type Dockerode from 'dockerode';
import { fromDockerLabels, MANAGED_LABEL } from './labels.js';
import type { ContainerHealth, RuntimeEvent } from './types.js';

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

/** One Docker event as a RuntimeEvent, or null for events this interface does not carry. */
export function toRuntimeEvent(event: DockerEvent): RuntimeEvent | null {
  if (event.Type !== 'container' || !event.Actor?.ID || !event.Action) return null;
  const labels = fromDockerLabels(event.Actor.Attributes);
  if (!labels) return null;
  const ts = event.timeNano ? Math.floor(event.timeNano / 1e6) : (event.time ?? 0) * 1000;
  const base = { containerId: event.Actor.ID, labels, ts };
  if (event.Action === 'start') return { kind: 'start', ...base };
  if (event.Action === 'oom') return { kind: 'oom', ...base };
  if (event.Action === 'die') {
    const code = Number(event.Actor.Attributes?.exitCode);
    return { kind: 'die', ...base, ...(Number.isInteger(code) ? { exitCode: code } : {}) };
  }
  const health = /^health_status: (starting|healthy|unhealthy)$/.exec(event.Action)?.[1];
  if (health) return { kind: 'health', ...base, health: health as ContainerHealth };
  return null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `seconds.nanoseconds`, the precision Docker's `since` accepts. */
function sinceParam(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const nanos = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${nanos}`;
}

/**
 * Events from `fromMs` on (the caller passes the moment it asked, so events between that call and the first
 * connection are not lost) until `signal` aborts.
 */
export async function* followEvents(
  docker: Dockerode,
  log: Logger,
  signal: AbortSignal,
  fromMs: number,
): AsyncGenerator<RuntimeEvent> {
  // Before the first event, `since` is the start instant itself; that instant's events are not skipped.
  const since = BigInt(fromMs) * 1_000_000n;
  let lastNano: bigint | undefined;
  let retryMs = RETRY_MIN_MS;
  while (!signal.aborted) {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await docker.getEvents({
        filters: {
          type: ['container'],
          label: [`${MANAGED_LABEL}=true`],
          event: ['start', 'die', 'oom', 'health_status'],
        },
        since: sinceParam(lastNano ?? since),
        abortSignal: signal,
        // dockerode's option types do not list abortSignal or a string since (nanosecond precision); the modem
        // passes both through.
      } as unknown as Dockerode.GetEventsOptions)) as NodeJS.ReadableStream;
    } catch (error) {
      if (signal.aborted) return;
      log.warn({ err: error, retryMs }, 'docker events: cannot connect, retrying');
      await sleep(retryMs, signal);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      continue;
    }
    retryMs = RETRY_MIN_MS;
    let partial = '';
    try {
      for await (const chunk of stream) {
        partial += chunk.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const event = JSON.parse(line) as DockerEvent;
          // timeNano (~1.7e18) does not fit a double: read the digits from the text.
          const digits = /"timeNano":(\d+)/.exec(line)?.[1];
          const nano = digits === undefined ? undefined : BigInt(digits);
          // After a reconnect `since` repeats the last instant's events.
          if (nano !== undefined && lastNano !== undefined && nano <= lastNano) continue;
          if (nano !== undefined) lastNano = nano;
          const mapped = toRuntimeEvent(event);
          if (mapped) yield mapped;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      log.warn({ err: error }, 'docker events: stream failed, reconnecting');
    }
    if (signal.aborted) return;
    // The stream ended without an error: the engine went away (restart); reconnect after a short pause.
    await sleep(retryMs, signal);
  }
}
