// Health gates: HTTP probes of a color on loopback (the stage's path, expected status, Host header) counted
// as consecutive successes, together with the container's own state — a container that exited fails at
// once, and an image with a HEALTHCHECK must also be `healthy` in Docker's eyes ("started" is never
// "healthy").

import { request } from 'node:http';
import type { HealthCheck } from '../model.js';

export interface ProbeResult {
  ok: boolean;
  /** The status seen, or why there was none (`ECONNREFUSED`, `timeout`). */
  detail: string;
}

/** One GET of `path` on 127.0.0.1:`port`; ok when the status is the expected one. The body is not read. */
export function probeOnce(
  port: number,
  check: Pick<HealthCheck, 'path' | 'expectedStatus' | 'timeoutMs'>,
  hostHeader: string,
  extraHeaders: Record<string, string> = {},
): Promise<ProbeResult & { headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: ProbeResult, headers: Record<string, string | string[] | undefined> = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, headers });
    };
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: check.path,
        method: 'GET',
        headers: { host: hostHeader, 'user-agent': 'homeport-health/1', ...extraHeaders },
        agent: false,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        done({ ok: status === check.expectedStatus, detail: `HTTP ${status}` }, res.headers);
        // The status is all a probe needs: the body is not read. An app streaming a body that never ends
        // would otherwise keep this connection (and its reading) alive for ever, one more per probe.
        req.destroy();
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, detail: `no answer within ${check.timeoutMs} ms` });
    }, check.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, detail: err.code ?? err.message }));
    req.end();
  });
}

export type ContainerVerdict = 'running' | 'healthy' | 'starting' | 'unhealthy' | 'exited';

export interface GateOptions {
  port: number;
  check: HealthCheck;
  hostHeader: string;
  /** Whether the image declares a HEALTHCHECK (then Docker's verdict must be `healthy` too). */
  imageHealthcheck: boolean;
  /** Reads the container's state; `exited` ends the gate at once. */
  container(): Promise<{ verdict: ContainerVerdict; detail: string }>;
  /** Absolute deadline (epoch ms). */
  deadline: number;
  clock: () => number;
  /** Ends the wait early (cancel, shutdown); the gate then fails with the signal's reason. */
  signal: AbortSignal;
  onProbe?(result: ProbeResult, successes: number): void;
}

export type GateOutcome = { ok: true; probes: number } | { ok: false; reason: string };

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Probes until `healthyThreshold` consecutive successes (and Docker says healthy when the image asks). */
export async function healthGate(options: GateOptions): Promise<GateOutcome> {
  const { check, clock } = options;
  let successes = 0;
  let probes = 0;
  let last = 'no probe yet';
  for (;;) {
    if (options.signal.aborted) return { ok: false, reason: String(options.signal.reason ?? 'cancelled') };
    const state = await options.container();
    if (state.verdict === 'exited') return { ok: false, reason: `the container exited: ${state.detail}` };
    if (state.verdict === 'unhealthy')
      return { ok: false, reason: `the image's HEALTHCHECK reports unhealthy: ${state.detail}` };
    const remaining = options.deadline - clock();
    if (remaining <= 0)
      return {
        ok: false,
        reason: `not healthy within the deploy timeout (${successes}/${check.healthyThreshold} consecutive successes; last probe: ${last})`,
      };
    const result = await probeOnce(
      check.port ?? options.port,
      { ...check, timeoutMs: Math.min(check.timeoutMs, remaining) },
      options.hostHeader,
    );
    probes += 1;
    last = result.detail;
    successes = result.ok ? successes + 1 : 0;
    options.onProbe?.(result, successes);
    const dockerHealthy = !options.imageHealthcheck || state.verdict === 'healthy';
    if (successes >= check.healthyThreshold && dockerHealthy) return { ok: true, probes };
    await wait(check.intervalMs, options.signal);
  }
}
